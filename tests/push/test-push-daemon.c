/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Push in the real esimd on a private bus, with a software eUICC that has the
 * test eIM configured (AddInitialEim): the inject listener is off unless
 * configured, serves the configured eIM and refuses another, and bad [push] /
 * [sms-wakeup] settings keep esimd from starting.
 */

#include <string.h>

#include "esim-test-wait.h"
#include "esimd-gdbus.h"
#include "esimd-test-harness.h"
#include "test-eim-util.h"

#define ICCID "8944476500000000013"

typedef struct {
	EsimdTestHarness         *h;
	const TestPki            *pki;
	EsimTestEim              *eim;
	GTlsDatabase             *listener_trust;
	GDBusObjectManager       *om;
	EsimdGdbusEuicc          *euicc;
	guint16                   port;
	gchar                    *address;   /* localhost:PORT */
} DaemonFixture;

/* A port nothing listens on now. */
static guint16
free_port (void)
{
	g_autoptr(GSocketListener) listener = g_socket_listener_new ();
	g_autoptr(GError) error = NULL;
	guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

	g_assert_no_error (error);
	g_socket_listener_close (listener);
	return port;
}

static gchar *
listener_file (DaemonFixture *f, const gchar *name)
{
	return g_build_filename (f->pki->dir, "DPtls", name, NULL);
}

static void
write_config (DaemonFixture *f, const gchar *text)
{
	g_autofree gchar *path = esimd_test_harness_config_path (f->h);

	g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
write_push_config (DaemonFixture *f, gboolean with_port)
{
	g_autofree gchar *cert = listener_file (f, "CERT_S_SM_DP_TLS_NIST.pem");
	g_autofree gchar *key = listener_file (f, "SK_S_SM_DP_TLS_NIST.pem");
	g_autofree gchar *text = NULL;
	g_autofree gchar *port = g_strdup_printf ("InjectPort=%u\n", f->port);

	text = g_strdup_printf ("[push]\nInjectAddress=127.0.0.1\n%sInjectCertificate=%s\n"
	                        "InjectKey=%s\n", with_port ? port : "", cert, key);
	write_config (f, text);
}

static void
daemon_setup (DaemonFixture *f)
{
	g_autoptr(GError) error = NULL;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	f->pki = test_pki_get ();
	f->eim = esim_test_eim_new (NULL, &error);
	g_assert_no_error (error);
	f->listener_trust = g_tls_file_database_new (f->pki->ci_pem, &error);
	g_assert_no_error (error);
	f->port = free_port ();
	f->address = g_strdup_printf ("localhost:%u", f->port);
}

static void
daemon_teardown (DaemonFixture *f)
{
	g_clear_object (&f->euicc);
	g_clear_object (&f->om);
	esimd_test_harness_stop_daemon (f->h);
	g_clear_object (&f->eim);
	g_clear_object (&f->listener_trust);
	g_free (f->address);
	esimd_test_harness_free (f->h);
}

static void
daemon_connect (DaemonFixture *f)
{
	g_autoptr(GError) error = NULL;
	GList *objects;

	f->om = esimd_gdbus_object_manager_client_new_sync (esimd_test_harness_get_connection (f->h),
	                                                    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
	                                                    ESIMD_TEST_BUS_NAME, ESIMD_TEST_ROOT_PATH, NULL, &error);
	g_assert_no_error (error);
	objects = g_dbus_object_manager_get_objects (f->om);
	for (GList *l = objects; l != NULL && f->euicc == NULL; l = l->next)
		f->euicc = esimd_gdbus_object_get_euicc (ESIMD_GDBUS_OBJECT (l->data));
	g_list_free_full (objects, g_object_unref);
	g_assert_nonnull (f->euicc);
}

static gboolean
port_open (guint16 port)
{
	g_autoptr(GSocketClient) client = g_socket_client_new ();
	g_autoptr(GSocketConnection) connection = NULL;

	connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
	return connection != NULL;
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

/* The test eIM on the card, as an operator's bootstrap would put it there. */
static void
add_test_eim (DaemonFixture *f)
{
	EsimTestEimConfigOptions options = { .protocols = ESIM_TEST_EIM_PROTOCOL_RETRIEVE_HTTPS |
	                                                  ESIM_TEST_EIM_PROTOCOL_INJECT_HTTPS };
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	request = esim_test_eim_build_add_initial_eim (f->eim, &options, &error);
	g_assert_no_error (error);
	g_dbus_proxy_call (G_DBUS_PROXY (f->euicc), "AddInitialEim",
	                   g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                                                                      g_bytes_get_data (request, NULL),
	                                                                      g_bytes_get_size (request), 1)),
	                   G_DBUS_CALL_FLAGS_NONE, 30000, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the answer to AddInitialEim");
	reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (f->euicc), res, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_eim_add_euicc (f->eim, esimd_gdbus_euicc_get_eid (f->euicc), &error));
}

static const EsimTestEimRecord *
push (DaemonFixture *f, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_test_eim_push_async (f->eim, esimd_gdbus_euicc_get_eid (f->euicc), f->address, NULL, f->listener_trust,
	                          ESIM_TEST_EIM_BINDING_ASN1, NULL, test_store_result, &res);
	esim_test_wait_until (res != NULL, "the answer of esimd's inject listener");
	return esim_test_eim_push_finish (f->eim, res, error);
}

static gboolean
log_has (gpointer user_data)
{
	gpointer *args = user_data;
	g_autofree gchar *log = esimd_test_harness_read_log (args[0]);

	return strstr (log, args[1]) != NULL;
}

static void
wait_log (DaemonFixture *f, const gchar *text)
{
	gpointer args[] = { f->h, (gpointer) text };

	esim_test_wait_until_func (0, log_has, args, "the log to say \"%s\"", text);
}

/* Without InjectPort nothing listens, though the rest of [push] is there. */
static void
test_off_by_default (void)
{
	DaemonFixture f = { 0 };

	daemon_setup (&f);
	write_push_config (&f, FALSE);
	esimd_test_harness_start_daemon (f.h, 1, NULL);
	g_assert_false (port_open (f.port));
	g_assert_null (strstr (esimd_test_harness_read_log (f.h), "TransferEimPackage served"));
	daemon_teardown (&f);
}

/* Configured: the listener serves the eIM on the card and refuses another. */
static void
test_inject (void)
{
	DaemonFixture f = { 0 };
	EsimTestEimFault wrong_eim = { .kind = ESIM_TEST_EIM_FAULT_WRONG_EIM_ID, .count = 1 };
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(EsimTestEimPackage) foreign = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;
	const guint8 tags[] = { 0xBF, 0x20 };
	const EsimTestEimRecord *record;

	daemon_setup (&f);
	write_push_config (&f, TRUE);
	esimd_test_harness_start_daemon (f.h, 1, NULL);
	g_assert_true (port_open (f.port));
	daemon_connect (&f);
	add_test_eim (&f);
	wait_log (&f, "eIM \"" ESIM_TEST_EIM_DEFAULT_ID "\" at");

	g_assert_true (esim_test_eim_package_add_disable (package, ICCID, &error));
	esim_test_eim_queue (f.eim, esimd_gdbus_euicc_get_eid (f.euicc), g_steal_pointer (&package));
	record = push (&f, &error);
	g_assert_no_error (error);
	/* run on the card in its queue: the answer is the card's signed result */
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->via, ==, ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE);
	/* (this card's certificate is not the eIM's to check: unverified, never invalid) */
	g_assert_cmpint (record->signature, !=, ESIM_TEST_EIM_SIGNATURE_INVALID);
	g_assert_nonnull (strstr (record->summary, "disable=ok"));
	wait_log (&f, "run-pushed-package");

	/* an unsigned package: the eIM's TLS certificate, under the CA its configuration
	 * names, for the host of its eimFqdn, tells esimd which eIM it is */
	esim_test_eim_queue (f.eim, esimd_gdbus_euicc_get_eid (f.euicc),
	                     esim_test_eim_package_new_data_request (tags, sizeof (tags)));
	record = push (&f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA);
	g_assert_null (record->problems);
	wait_log (&f, "ipaEuiccDataRequest from eIM \"" ESIM_TEST_EIM_DEFAULT_ID "\"");

	g_assert_true (esim_test_eim_package_add_disable (foreign, ICCID, &error));
	esim_test_eim_queue (f.eim, esimd_gdbus_euicc_get_eid (f.euicc), g_steal_pointer (&foreign));
	esim_test_eim_add_fault (f.eim, &wrong_eim);
	g_assert_null (push (&f, &error));
	g_assert_nonnull (strstr (error->message, "HTTP 403"));
	wait_log (&f, "is configured on none of our eUICCs: 403");
	daemon_teardown (&f);
}

/* Bad settings: esimd does not start, and says which. */
static void
test_config_errors (void)
{
	DaemonFixture f = { 0 };
	g_autofree gchar *cert = NULL;
	g_autofree gchar *key = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *option = NULL;
	g_autofree gchar *cases_port_busy = NULL;
	g_autofree gchar *wrong_key = NULL;
	g_autoptr(GSocketListener) busy = g_socket_listener_new ();
	g_autoptr(GError) error = NULL;
	guint16 busy_port;

	daemon_setup (&f);
	cert = listener_file (&f, "CERT_S_SM_DP_TLS_NIST.pem");
	key = listener_file (&f, "SK_S_SM_DP_TLS_NIST.pem");
	busy_port = g_socket_listener_add_any_inet_port (busy, NULL, &error);
	g_assert_no_error (error);
	cases_port_busy = g_strdup_printf ("[push]\nInjectPort=%u\nInjectCertificate=%s\nInjectKey=%s\n",
	                                   busy_port, cert, key);
	wrong_key = g_strdup_printf ("[push]\nInjectPort=%u\nInjectCertificate=%s\nInjectKey=%s\n", f.port,
	                             cert, cert);
	{
		const struct {
			const gchar *text;
			const gchar *message;
		} cases[] = {
			{ "[push]\nInjectPort=70000\n", "[push] InjectPort: invalid value \"70000\"" },
			{ "[push]\nInjectPort=https\n", "[push] InjectPort: invalid value" },
			{ "[push]\nInjectPort=8443\n", "[push] InjectPort=8443 needs InjectCertificate and InjectKey" },
			{ "[push]\nInjectAddress=somewhere\n", "[push] InjectAddress: invalid value \"somewhere\"" },
			{ "[sms-wakeup]\nPattern=(\n", "[sms-wakeup] Pattern: invalid regular expression \"(\"" },
			{ "[sms-wakeup]\nDelete=maybe\n", "[sms-wakeup] Delete: invalid value" },
			{ wrong_key, "[push] the inject certificate" },
			{ cases_port_busy, "[push] cannot listen on every address port" },
		};

		config = esimd_test_harness_config_path (f.h);
		option = g_strdup_printf ("--config=%s", config);
		for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
			g_autofree gchar *err = NULL;

			write_config (&f, cases[i].text);
			g_assert_cmpint (esimd_test_harness_run_daemon_sync (f.h, &err, "--session", option, NULL), ==, 1);
			if (strstr (err, cases[i].message) == NULL)
				g_error ("case %u: expected \"%s\" in: %s", i, cases[i].message, err);
		}
	}
	daemon_teardown (&f);
}

int
main (int argc, char *argv[])
{
	int status;

	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/push/daemon/off-by-default", test_off_by_default);
	g_test_add_func ("/push/daemon/inject", test_inject);
	g_test_add_func ("/push/daemon/config-errors", test_config_errors);
	status = g_test_run ();
	test_pki_cleanup ();
	return status;
}
