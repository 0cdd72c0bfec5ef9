/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Euicc.DownloadProfile with the real esimd and esimcli: a software eUICC made
 * from the credentials of a test PKI (a [card] credentials= seed), the test
 * SM-DP+ of that PKI over real TLS in this process (on 127.0.0.1, known as
 * "localhost", whose name its DPtls certificate carries), and esimd configured
 * with the test CI directory ([download] TestCiDirectory).  The SM-DP+ runs in
 * the test's main context, which the harness iterates while it waits: every
 * call to esimd is asynchronous or made through esimcli.
 *
 * Each refusal is checked for its D-Bus error and esimcli's message and exit
 * status, for no profile left behind, and, from the SM-DP+'s records, for the
 * cancel the flow owed where it had reached that point.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esimd-gdbus.h"
#include "esimd-test-harness.h"
#include "net-test-util.h"

#define HOST          "localhost"
#define EUICC_PATH    ESIMD_TEST_ROOT_PATH "/Euicc/0"
#define IFACE_EUICC   "org.freedesktop.Esimd1.Euicc"
#define IFACE_PROFILE "org.freedesktop.Esimd1.Profile"
#define ERROR_PREFIX  "org.freedesktop.Esimd1.Error."
#define ICCID_ON_CARD "8944476500000000013"   /* a demo profile of every software eUICC */
#define DOWNLOAD_WAIT_MS 60000
/* CancelSessionReason (SGP.22 RSPDefinitions) as the card signs it */
#define REASON_METADATA_MISMATCH        4
#define REASON_LOAD_BPP_EXECUTION_ERROR 5
#define REASON_UNDEFINED                127
/* the CLI's exit codes (esimcli(1)) */
#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_TIMEOUT 3

static gchar *pki_dir;
static gchar *ci_dir;

typedef struct {
	EsimdTestHarness *h;
	EsimTestSmdp     *smdp;
	GPtrArray        *steps;     /* ProgressStep step names, in order */
	guint             steps_id;
	gboolean          deliver_notifications; /* [notifications] Automatic=true */
} Fixture;

/* ---- fixture ---- */

static void
on_progress_step (GDBusConnection *connection, const gchar *sender, const gchar *path,
                  const gchar *iface, const gchar *signal, GVariant *params, gpointer user_data)
{
	Fixture *f = user_data;
	const gchar *operation, *step;
	guint percent;

	g_variant_get (params, "(&s&su)", &operation, &step, &percent);
	g_assert_cmpstr (operation, ==, "download-profile");
	g_assert_cmpuint (percent, <, 100);
	g_ptr_array_add (f->steps, g_strdup (step));
}

/* esimd with one software eUICC of the PKI (@card_extra: more of its [card] group) and
 * the test CI directory; @config_extra: more configuration. */
static void
fixture_start (Fixture *f, const gchar *card_extra, const gchar *config_extra)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = HOST };
	g_autofree gchar *card = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n%s", pki_dir,
	                                          card_extra != NULL ? card_extra : "");
	g_autofree gchar *text = g_strdup_printf ("[download]\nTestCiDirectory=%s\n%s", ci_dir,
	                                          config_extra != NULL ? config_extra : "");
	g_autoptr(GError) error = NULL;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	if (f->deliver_notifications) {
		g_autofree gchar *dir = esimd_test_harness_config_dir (f->h);
		g_autofree gchar *dropin = g_build_filename (dir, "50-notify.conf", NULL);

		/* after the harness's 00-harness.conf, which turns automatic delivery off */
		g_assert_true (g_file_set_contents (dropin, "[notifications]\nAutomatic=true\n", -1,
		                                    NULL));
	}
	card = esimd_test_harness_card_path (f->h, 0);
	config = esimd_test_harness_config_path (f->h);
	g_assert_true (g_file_set_contents (card, seed, -1, NULL));
	g_assert_true (g_file_set_contents (config, text, -1, NULL));
	f->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (f->smdp, "127.0.0.1:0", &error));
	f->steps = g_ptr_array_new_with_free_func (g_free);
	f->steps_id = g_dbus_connection_signal_subscribe (esimd_test_harness_get_connection (f->h),
	                                                  NULL, IFACE_EUICC, "ProgressStep",
	                                                  EUICC_PATH, NULL,
	                                                  G_DBUS_SIGNAL_FLAGS_NONE, on_progress_step,
	                                                  f, NULL);
	esimd_test_harness_start_daemon (f->h, 1, NULL);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	fixture_start (f, NULL, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	g_autofree gchar *log = NULL;

	if (f->h != NULL) {
		esimd_test_harness_stop_daemon (f->h);
		/* nothing personal in the log, the confirmation code never (esimd runs --debug) */
		log = esimd_test_harness_read_log (f->h);
		g_assert_null (strstr (log, "MID-SECRET"));
		g_assert_null (strstr (log, "Xq7Kp"));
		g_dbus_connection_signal_unsubscribe (esimd_test_harness_get_connection (f->h),
		                                      f->steps_id);
	}
	g_clear_object (&f->smdp);
	g_clear_pointer (&f->steps, g_ptr_array_unref);
	g_clear_pointer (&f->h, esimd_test_harness_free);
}

static void
add_order (Fixture *f, const EsimTestSmdpOrder *order)
{
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_test_smdp_add_order (f->smdp, order, &error));
	g_assert_no_error (error);
}

static gchar *
activation_code (Fixture *f, const gchar *matching_id)
{
	gchar *code = esim_test_smdp_get_activation_code (f->smdp, matching_id);

	g_assert_nonnull (code);
	return code;
}

/* ---- calls ---- */

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

/* DownloadProfile (@code, @options), asynchronously: the SM-DP+ is served meanwhile. */
static GVariant *
download (Fixture *f, const gchar *code, GVariant *options, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	if (options == NULL)
		options = g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
	g_dbus_connection_call (esimd_test_harness_get_connection (f->h), ESIMD_TEST_BUS_NAME,
	                        EUICC_PATH, IFACE_EUICC, "DownloadProfile",
	                        g_variant_new ("(s@a{sv})", code, options), G_VARIANT_TYPE ("(o)"),
	                        G_DBUS_CALL_FLAGS_NONE, DOWNLOAD_WAIT_MS, NULL, store_result, &res);
	esim_test_wait_until_ms (DOWNLOAD_WAIT_MS, res != NULL, "the answer to DownloadProfile");
	return g_dbus_connection_call_finish (esimd_test_harness_get_connection (f->h), res, error);
}

static GVariant *
get_property (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *value = NULL;

	g_dbus_connection_call (esimd_test_harness_get_connection (f->h), ESIMD_TEST_BUS_NAME, path,
	                        "org.freedesktop.DBus.Properties", "Get",
	                        g_variant_new ("(ss)", iface, name), G_VARIANT_TYPE ("(v)"),
	                        G_DBUS_CALL_FLAGS_NONE, 10000, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the property %s", name);
	reply = g_dbus_connection_call_finish (esimd_test_harness_get_connection (f->h), res, &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(v)", &value);
	return value;
}

static guint
n_profiles (Fixture *f)
{
	g_autoptr(GVariant) profiles = get_property (f, EUICC_PATH, IFACE_EUICC, "Profiles");

	return (guint) g_variant_n_children (profiles);
}

static gchar *
profile_string (Fixture *f, const gchar *path, const gchar *name)
{
	g_autoptr(GVariant) value = get_property (f, path, IFACE_PROFILE, name);

	return g_variant_dup_string (value, NULL);
}

/* The reply's error is org.freedesktop.Esimd1.Error.@name, its message holding @text. */
static void
assert_error (GError *error, const gchar *name, const gchar *text)
{
	g_autofree gchar *remote = NULL;
	g_autofree gchar *expected = g_strconcat (ERROR_PREFIX, name, NULL);

	g_assert_nonnull (error);
	remote = g_dbus_error_get_remote_error (error);
	g_test_message ("%s: %s", remote, error->message);
	g_assert_cmpstr (remote, ==, expected);
	if (text != NULL && strstr (error->message, text) == NULL) {
		g_printerr ("expected \"%s\" in: %s\n", text, error->message);
		g_assert_not_reached ();
	}
}

/* esimcli profile download with @args; its exit status must be @status and its stderr
 * hold @text. */
static gchar *
cli_download (Fixture *f, gint status, const gchar *text, const gchar *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autofree gchar *err = NULL;
	gchar *out;
	gint exit_status = -1;

	g_ptr_array_add (argv, (gpointer) "-w");
	g_ptr_array_add (argv, (gpointer) "60");
	g_ptr_array_add (argv, (gpointer) "profile");
	g_ptr_array_add (argv, (gpointer) "download");
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add (argv, (gpointer) args[i]);
	g_ptr_array_add (argv, NULL);
	out = esimd_test_harness_run_cli_argv (f->h, (const gchar *const *) argv->pdata, &exit_status,
	                                       &err);
	g_test_message ("esimcli: status %d, out: %s, err: %s", exit_status, out, err);
	g_assert_cmpint (exit_status, ==, status);
	if (text != NULL && strstr (err, text) == NULL) {
		g_printerr ("expected \"%s\" in esimcli's: %s\n", text, err);
		g_assert_not_reached ();
	}
	return out;
}

/* The SM-DP+ recorded exactly one cancelSession, signed by the card with @reason. */
static void
assert_server_cancelled (Fixture *f, gint reason)
{
	GPtrArray *cancelled = esim_test_smdp_get_cancelled (f->smdp);
	EsimTestSmdpCancelled *record;

	g_assert_cmpuint (cancelled->len, ==, 1);
	record = g_ptr_array_index (cancelled, 0);
	g_assert_true (record->verified);
	g_assert_cmpint (record->reason, ==, reason);
}

/* The install notification of @iccid is pending on the card, or was delivered (by esimd's
 * notification delivery): never lost. */
static void
assert_install_notification (Fixture *f, const gchar *iccid, gboolean success)
{
	GPtrArray *delivered = esim_test_smdp_get_notifications (f->smdp);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GError) error = NULL;
	GVariantIter iter;
	GVariant *entry;

	for (guint i = 0; i < delivered->len; i++) {
		EsimTestSmdpNotification *record = g_ptr_array_index (delivered, i);

		if (record->installation_result && g_strcmp0 (record->iccid, iccid) == 0) {
			g_assert_cmpint (record->success, ==, success);
			return;
		}
	}
	g_dbus_connection_call (esimd_test_harness_get_connection (f->h), ESIMD_TEST_BUS_NAME,
	                        EUICC_PATH, IFACE_EUICC, "ListNotifications", NULL,
	                        G_VARIANT_TYPE ("(aa{sv})"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
	                        store_result, &res);
	esim_test_wait_until (res != NULL, "the answer to ListNotifications");
	reply = g_dbus_connection_call_finish (esimd_test_harness_get_connection (f->h), res, &error);
	g_assert_no_error (error);
	list = g_variant_get_child_value (reply, 0);
	g_variant_iter_init (&iter, list);
	while ((entry = g_variant_iter_next_value (&iter)) != NULL) {
		g_autoptr(GVariant) owned = entry;
		const gchar *operation = NULL, *notified = NULL;

		g_assert_nonnull (owned);

		if (g_variant_lookup (entry, "operation", "&s", &operation) &&
		    g_variant_lookup (entry, "iccid", "&s", &notified) &&
		    g_str_equal (operation, "install") && g_strcmp0 (notified, iccid) == 0)
			return;
	}
	g_assert_not_reached ();
}

static gboolean
steps_include (Fixture *f, const gchar *step)
{
	for (guint i = 0; i < f->steps->len; i++) {
		if (g_str_equal (g_ptr_array_index (f->steps, i), step))
			return TRUE;
	}
	return FALSE;
}

/* ---- downloads that work ---- */

static void
test_download (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-1", .profile_name = "Daemon profile" };
	g_autofree gchar *code = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *iccid = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *list = NULL;
	const gchar *path = NULL;
	const gchar *expected_iccid;
	const gchar *const steps[] = {
		"get-euicc-challenge", "get-euicc-info", "initiate-authentication",
		"authenticate-server", "authenticate-client", "check-profile", "prepare-download",
		"get-bound-profile-package", "load-bound-profile-package", "refresh", NULL,
	};
	const gchar *const list_args[] = { "profile", "list", NULL };
	gint status = -1;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-1");
	expected_iccid = esim_test_smdp_get_order_iccid (f->smdp, "MID-SECRET-1");
	reply = download (f, code, NULL, &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(&o)", &path);
	g_assert_true (g_str_has_prefix (path, ESIMD_TEST_ROOT_PATH "/Profile/"));
	iccid = profile_string (f, path, "Iccid");
	state = profile_string (f, path, "State");
	name = profile_string (f, path, "Name");
	g_assert_cmpstr (iccid, ==, expected_iccid);
	g_assert_cmpstr (state, ==, "disabled");
	g_assert_cmpstr (name, ==, "Daemon profile");
	g_assert_cmpuint (n_profiles (f), ==, 3);
	for (guint i = 0; steps[i] != NULL; i++)
		g_assert_true (steps_include (f, steps[i]));
	g_assert_false (steps_include (f, "cancel-session"));
	assert_install_notification (f, expected_iccid, TRUE);
	/* goal 1: one keep-alive HTTPS connection */
	g_assert_cmpuint (esim_test_smdp_get_connection_count (f->smdp), ==, 1);
	list = esimd_test_harness_run_cli_argv (f->h, list_args, &status, NULL);
	g_assert_cmpint (status, ==, 0);
	g_assert_nonnull (strstr (list, expected_iccid));
	g_assert_nonnull (strstr (list, "Daemon profile"));
}

static gboolean
install_notification_delivered (gpointer user_data)
{
	Fixture *f = user_data;
	GPtrArray *delivered = esim_test_smdp_get_notifications (f->smdp);

	for (guint i = 0; i < delivered->len; i++) {
		EsimTestSmdpNotification *record = g_ptr_array_index (delivered, i);

		if (record->installation_result && record->verified && record->success)
			return TRUE;
	}
	return FALSE;
}

static gboolean
no_pending_notification (gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GVariant) count = get_property (f, EUICC_PATH, IFACE_EUICC,
	                                          "PendingNotifications");

	return g_variant_get_uint32 (count) == 0;
}

/* The install notification reaches the SM-DP+ on its own, once, and only then leaves
 * the card (issue 7: notifications, never lost). */
static void
test_install_notification_delivered (void)
{
	Fixture f = { .deliver_notifications = TRUE };
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-N" };
	g_autofree gchar *code = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	guint installs = 0;

	fixture_start (&f, NULL, NULL);
	add_order (&f, &order);
	code = activation_code (&f, "MID-SECRET-N");
	reply = download (&f, code, NULL, &error);
	g_assert_no_error (error);
	esim_test_wait_until_func (DOWNLOAD_WAIT_MS, install_notification_delivered, &f,
	                           "the install notification to reach the SM-DP+");
	esim_test_wait_until_func (DOWNLOAD_WAIT_MS, no_pending_notification, &f,
	                           "the eUICC to have no pending notification");
	for (guint i = 0; i < esim_test_smdp_get_notifications (f.smdp)->len; i++) {
		EsimTestSmdpNotification *record =
			g_ptr_array_index (esim_test_smdp_get_notifications (f.smdp), i);

		installs += record->installation_result ? 1 : 0;
	}
	g_assert_cmpuint (installs, ==, 1);
	fixture_tear_down (&f, NULL);
}

/* With a confirmation code, through esimcli: its progress lines, then the result. */
static void
test_confirmation_code_cli (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-CC", .confirmation_code = "Xq7Kp" };
	g_autofree gchar *code = NULL;
	g_autofree gchar *out = NULL;
	const gchar *iccid;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-CC");
	g_assert_true (g_str_has_suffix (code, "$$1"));
	iccid = esim_test_smdp_get_order_iccid (f->smdp, "MID-SECRET-CC");
	out = cli_download (f, 0, NULL,
	                    (const gchar *const[]) { code, "--confirmation-code", "Xq7Kp", NULL });
	/* not on a terminal: a line per step, then the result */
	g_assert_nonnull (strstr (out, "Contacting the SM-DP+\n"));
	g_assert_nonnull (strstr (out, "Installing the profile\n"));
	g_assert_nonnull (strstr (out, iccid));
	g_assert_nonnull (strstr (out, "downloaded."));
	g_assert_cmpuint (n_profiles (f), ==, 3);
}

/* "enable": installed, then enabled through the switch lifecycle; -g prints its fields. */
static void
test_enable (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-E" };
	g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	g_autofree gchar *code = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *old_state = NULL;
	g_autofree gchar *out = NULL;
	const gchar *path = NULL;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-E");
	g_variant_builder_add (options, "{sv}", "enable", g_variant_new_boolean (TRUE));
	reply = download (f, code, g_variant_builder_end (options), &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(&o)", &path);
	state = profile_string (f, path, "State");
	g_assert_cmpstr (state, ==, "enabled");
	g_assert_true (steps_include (f, "enable-profile"));
	/* the demo profile that was enabled is not any more */
	out = esimd_test_harness_run_cli (f->h, NULL, NULL, "-g", "STATE", "profile", "show",
	                                  ICCID_ON_CARD, NULL);
	old_state = g_strstrip (g_steal_pointer (&out));
	g_assert_cmpstr (old_state, ==, "disabled");
}

static void
test_enable_cli (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-EC" };
	g_autofree gchar *code = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *expected = NULL;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-EC");
	expected = g_strdup_printf ("%s\nenabled",
	                            esim_test_smdp_get_order_iccid (f->smdp, "MID-SECRET-EC"));
	out = cli_download (f, 0, NULL, (const gchar *const[]) { "-g", "ICCID,STATE", code,
	                                                          "--enable", NULL });
	g_assert_cmpstr (g_strstrip (out), ==, expected);
}

static void
test_protected_in_advance (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-PPP", .protect_in_advance = TRUE,
	                            .profile_size = 16000 };
	g_autofree gchar *code = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-PPP");
	reply = download (f, code, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (n_profiles (f), ==, 3);
}

/* ---- refusals ---- */

/* @code refused with @name (message holding @text); esimcli says @text with @status too;
 * nothing installed. */
static void
check_refused (Fixture *f, const gchar *code, GVariant *options, const gchar *name,
               const gchar *text, gint status)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;

	reply = download (f, code, options, &error);
	g_assert_null (reply);
	assert_error (error, name, text);
	g_assert_cmpuint (n_profiles (f), ==, 2);
	if (status >= 0)
		out = cli_download (f, status, text, (const gchar *const[]) { code, NULL });
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

/* The card refuses the SM-DP+ (AuthenticateServer): no session on the card to cancel;
 * the server heard the card's refusal in authenticateClient. */
static void
check_card_refuses_server (Fixture *f, guint fault, const gchar *reason)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-R" };
	g_autofree gchar *code = NULL;

	add_order (f, &order);
	esim_test_smdp_set_faults (f->smdp, fault);
	code = activation_code (f, "MID-SECRET-R");
	check_refused (f, code, NULL, "CardRefused", reason, EXIT_ERROR);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "authenticateClient"), ==, 2);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "getBoundProfilePackage"), ==, 0);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (f->smdp)->len, ==, 0);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-SECRET-R"), ==,
	                 ESIM_TEST_SMDP_ORDER_RELEASED);
}

static void
test_foreign_ci (Fixture *f, gconstpointer data)
{
	check_card_refuses_server (f, ESIM_TEST_SMDP_FAULT_FOREIGN_CI, "ciPKUnknown");
}

static void
test_bad_server_signature (Fixture *f, gconstpointer data)
{
	check_card_refuses_server (f, ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE, "invalidSignature");
}

static void
test_wrong_confirmation_code (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-WC", .confirmation_code = "Xq7Kp",
	                            .cc_attempts = 5 };
	g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	g_autofree gchar *code = NULL;
	g_autofree gchar *out = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-WC");
	g_variant_builder_add (options, "{sv}", "confirmation-code", g_variant_new_string ("0000"));
	reply = download (f, code, g_variant_builder_end (options), &error);
	assert_error (error, "ConfirmationCodeRefused", "(subject 8.2.7, reason 3.8)");
	g_assert_cmpuint (n_profiles (f), ==, 2);
	/* the card's PrepareDownload session ended on both sides */
	assert_server_cancelled (f, REASON_UNDEFINED);
	g_assert_true (steps_include (f, "cancel-session"));
	out = cli_download (f, EXIT_ERROR, "Confirmation Code is refused",
	                    (const gchar *const[]) { code, "--confirmation-code", "1111", NULL });
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

/* The activation code says a confirmation code is required: refused before anything is
 * sent, on D-Bus and by esimcli (not on a terminal it does not ask). */
static void
test_confirmation_code_required (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-CR", .confirmation_code = "Xq7Kp" };
	g_autofree gchar *code = NULL;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-CR");
	check_refused (f, code, NULL, "ConfirmationCodeRequired", "confirmation code", EXIT_ERROR);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "initiateAuthentication"), ==, 0);
}

/* A TLS certificate for another name: refused before any request, nothing to cancel. */
static void
test_tls_name_mismatch (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-T" };
	g_autofree gchar *code = NULL;

	add_order (f, &order);
	code = g_strdup_printf ("LPA:1$127.0.0.1:%u$MID-SECRET-T", esim_test_smdp_get_port (f->smdp));
	check_refused (f, code, NULL, "ServerNotTrusted", "not valid for 127.0.0.1", EXIT_ERROR);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "initiateAuthentication"), ==, 0);
}

static void
test_dropped_connection (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-D" };
	g_autofree gchar *code = NULL;

	add_order (f, &order);
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_DROP_CONNECTION);
	code = activation_code (f, "MID-SECRET-D");
	check_refused (f, code, NULL, "ServerError", "getBoundProfilePackage", -1);
	assert_server_cancelled (f, REASON_LOAD_BPP_EXECUTION_ERROR);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-SECRET-D"), ==,
	                 ESIM_TEST_SMDP_ORDER_RELEASED);
	cli_download (f, EXIT_ERROR, "broke off", (const gchar *const[]) { code, NULL });
}

/* The card finds the package tampered with: its failed result, no cancel owed. */
static void
test_tampered_package (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-TB" };
	g_autofree gchar *code = NULL;

	add_order (f, &order);
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_TAMPER_BPP);
	code = activation_code (f, "MID-SECRET-TB");
	check_refused (f, code, NULL, "CardRefused", "scp03tSecurityError", -1);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (f->smdp)->len, ==, 0);
	assert_install_notification (f, esim_test_smdp_get_order_iccid (f->smdp, "MID-SECRET-TB"),
	                             FALSE);
}

static void
test_already_installed (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-A", .iccid = ICCID_ON_CARD };
	g_autofree gchar *code = NULL;

	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-A");
	check_refused (f, code, NULL, "AlreadyInstalled", "installed on this eUICC already",
	               EXIT_ERROR);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (f->smdp)->len, ==, 2);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "getBoundProfilePackage"), ==, 0);
	for (guint i = 0; i < 2; i++) {
		EsimTestSmdpCancelled *record = g_ptr_array_index (esim_test_smdp_get_cancelled (f->smdp), i);

		g_assert_cmpint (record->reason, ==, REASON_METADATA_MISMATCH);
	}
}

static void
test_card_full (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-F" };
	g_autofree gchar *code = NULL;

	fixture_tear_down (f, NULL);
	fixture_start (f, "max-profiles=2\n", NULL);
	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-F");
	check_refused (f, code, NULL, "CardFull", "InsufficientMemory", -1);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (f->smdp)->len, ==, 0);
}

static void
test_unknown_server (Fixture *f, gconstpointer data)
{
	check_refused (f, "LPA:1$smdp.invalid$MID-SECRET-U", NULL, "ServerUnreachable",
	               "smdp.invalid", EXIT_ERROR);
}

static void
test_connection_refused (Fixture *f, gconstpointer data)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *code = NULL;

	/* a port nobody listens on: bound, never listening */
	socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
	                       &error);
	g_assert_no_error (error);
	g_assert_true (g_socket_bind (socket, any, FALSE, &error));
	bound = g_socket_get_local_address (socket, &error);
	code = g_strdup_printf ("LPA:1$localhost:%u$MID-SECRET-U",
	                        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
	check_refused (f, code, NULL, "ServerUnreachable", "refused", EXIT_ERROR);
}

/* A server that accepts and never answers: RequestTimeout, then Timeout (esimcli: 3). */
static void
test_server_timeout (Fixture *f, gconstpointer data)
{
	g_autoptr(NetTestSilentServer) silent = net_test_silent_server_new ();
	g_autofree gchar *code = NULL;

	fixture_tear_down (f, NULL);
	fixture_start (f, NULL, "RequestTimeout=5\n");
	code = g_strdup_printf ("LPA:1$localhost:%u$MID-SECRET-S",
	                        net_test_silent_server_get_port (silent));
	check_refused (f, code, NULL, "Timeout", "timed out after 5 s", EXIT_TIMEOUT);
}

static void
test_malformed_activation_code (Fixture *f, gconstpointer data)
{
	const struct {
		const gchar *code;
		const gchar *field;
	} cases[] = {
		{ "LPA:2$localhost$MID", "format \"1$\"" },
		{ "LPA:1$local host$MID", "SM-DP+ address" },
		{ "LPA:1$localhost$MID SECRET", "matching ID" },
		{ "LPA:1$localhost$MID$1..2", "SM-DP+ OID" },
		{ "LPA:1$localhost$MID$$7", "confirmation code flag" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) reply = download (f, cases[i].code, NULL, &error);
		g_autofree gchar *out = NULL;

		g_assert_null (reply);
		assert_error (error, "InvalidArgs", cases[i].field);
		out = cli_download (f, EXIT_USAGE, cases[i].field,
		                    (const gchar *const[]) { cases[i].code, NULL });
	}
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

static void
test_invalid_options (Fixture *f, gconstpointer data)
{
	g_autoptr(GVariantBuilder) unknown = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariantBuilder) wrong_type = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariantBuilder) empty_code = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	g_variant_builder_add (unknown, "{sv}", "refresh", g_variant_new_boolean (TRUE));
	reply = download (f, "LPA:1$localhost$MID", g_variant_builder_end (unknown), &error);
	assert_error (error, "InvalidArgs", "unknown option \"refresh\"");
	g_clear_error (&error);
	g_variant_builder_add (wrong_type, "{sv}", "enable", g_variant_new_string ("yes"));
	reply = download (f, "LPA:1$localhost$MID", g_variant_builder_end (wrong_type), &error);
	assert_error (error, "InvalidArgs", "\"enable\" must be a boolean");
	g_clear_error (&error);
	g_variant_builder_add (empty_code, "{sv}", "confirmation-code", g_variant_new_string (""));
	reply = download (f, "LPA:1$localhost$MID", g_variant_builder_end (empty_code), &error);
	assert_error (error, "InvalidArgs", "confirmation code is empty");
}

/* ---- configuration ---- */

static void
test_config_errors (void)
{
	const struct {
		const gchar *text;
		const gchar *message;
	} cases[] = {
		{ "[download]\nRequestTimeout=1\n", "[download] RequestTimeout: invalid value \"1\"" },
		{ "[download]\nRequestTimeout=ten\n", "[download] RequestTimeout" },
	};
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *option = g_strdup_printf ("--config=%s", config);

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *err = NULL;

		g_assert_true (g_file_set_contents (config, cases[i].text, -1, NULL));
		g_assert_cmpint (esimd_test_harness_run_daemon_sync (h, &err, "--session", option, NULL),
		                 ==, 1);
		if (strstr (err, cases[i].message) == NULL) {
			g_printerr ("expected \"%s\" in: %s\n", cases[i].message, err);
			g_assert_not_reached ();
		}
	}
}

/* Without the test CI directory the SM-DP+ of the test PKI is not trusted. */
static void
test_no_test_ci (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-SECRET-N" };
	Fixture fixture = { 0 };
	Fixture *f = &fixture;
	g_autofree gchar *config = NULL;
	g_autofree gchar *code = NULL;

	fixture_start (f, NULL, NULL);
	esimd_test_harness_stop_daemon (f->h);
	config = esimd_test_harness_config_path (f->h);
	g_assert_true (g_file_set_contents (config, "", -1, NULL));
	esimd_test_harness_start_daemon (f->h, 1, NULL);
	add_order (f, &order);
	code = activation_code (f, "MID-SECRET-N");
	check_refused (f, code, NULL, "ServerNotTrusted", "CI", -1);
	fixture_tear_down (f, NULL);
}

/* ---- main ---- */

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions options = { .smdp_host = HOST, .foreign_ci = TRUE };
	g_autofree gchar *ci_cert = NULL;
	g_autofree gchar *ci_copy = NULL;
	g_autofree gchar *der = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	int ret;

	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-download-daemon-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);
	/* the CI certificate alone: its directory holds the test CI's secret key too */
	ci_dir = g_build_filename (pki_dir, "trusted-ci", NULL);
	g_assert_cmpint (g_mkdir (ci_dir, 0700), ==, 0);
	ci_cert = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	ci_copy = g_build_filename (ci_dir, "test-ci.der", NULL);
	g_assert_true (g_file_get_contents (ci_cert, &der, &len, NULL));
	g_assert_true (g_file_set_contents (ci_copy, der, (gssize) len, NULL));

#define ADD(path, fn) g_test_add ("/esimd/download/" path, Fixture, NULL, fixture_set_up, fn, \
	                          fixture_tear_down)
	ADD ("full", test_download);
	ADD ("confirmation-code-cli", test_confirmation_code_cli);
	ADD ("enable", test_enable);
	ADD ("enable-cli", test_enable_cli);
	ADD ("protected-in-advance", test_protected_in_advance);
	ADD ("refused/foreign-ci", test_foreign_ci);
	ADD ("refused/bad-server-signature", test_bad_server_signature);
	ADD ("refused/wrong-confirmation-code", test_wrong_confirmation_code);
	ADD ("refused/confirmation-code-required", test_confirmation_code_required);
	ADD ("refused/tls-name-mismatch", test_tls_name_mismatch);
	ADD ("refused/dropped-connection", test_dropped_connection);
	ADD ("refused/tampered-package", test_tampered_package);
	ADD ("refused/already-installed", test_already_installed);
	ADD ("refused/card-full", test_card_full);
	ADD ("refused/unknown-server", test_unknown_server);
	ADD ("refused/connection-refused", test_connection_refused);
	ADD ("refused/timeout", test_server_timeout);
	ADD ("refused/malformed-activation-code", test_malformed_activation_code);
	ADD ("refused/invalid-options", test_invalid_options);
#undef ADD
	g_test_add_func ("/esimd/download/refused/no-test-ci", test_no_test_ci);
	g_test_add_func ("/esimd/download/config-errors", test_config_errors);
	g_test_add_func ("/esimd/download/install-notification-delivered",
	                 test_install_notification_delivered);
	ret = g_test_run ();
	rm_rf (pki_dir);
	g_free (pki_dir);
	g_free (ci_dir);
	return ret;
}
