/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTPS inject listener in-process, over real TLS: the test eIM pushes
 * (TransferEimPackage, both bindings) as it would to any IPA, and libsoup in
 * the test plays the eIM with a TLS client certificate, and the clients that
 * misbehave.  The handler is the test's: it records what reached it and
 * answers as a daemon would (eimPackageReceived, or a result).
 */

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "esim-eim-tls-database.h"
#include "esim-esipa-json.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esimd-inject.h"
#include "test-eim-util.h"

#define ICCID         "8988308650122898710"
#define OTHER_EID     "89049032123451234512345678901235"
#define MAX_BODY      4096
#define READ_TIMEOUT  2

/* esimd's warnings: each refusal must leave one */
static GPtrArray *warnings;

static void
capture_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
	if (g_test_verbose ())
		g_printerr ("%s: %s\n", domain, message);
	if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
		g_ptr_array_add (warnings, g_strdup (message));
}

/* The last warning contains @text; the list is emptied. */
static void
assert_warned (const gchar *text)
{
	for (guint i = 0; i < warnings->len; i++) {
		if (strstr (g_ptr_array_index (warnings, i), text) != NULL) {
			g_ptr_array_set_size (warnings, 0);
			return;
		}
	}
	g_error ("no warning says \"%s\" (%u warnings)", text, warnings->len);
}

typedef struct {
	const TestPki     *pki;
	gchar             *credentials_dir;
	EsimTestEim       *eim;
	GTlsDatabase      *listener_trust;   /* the test CI: what the eIM trusts our listener by */
	GTlsCertificate   *eim_client;       /* the eIM's TLS certificate and key */
	EsimdInjectServer *server;
	gchar             *address;          /* localhost:PORT */
	GPtrArray         *targets;          /* EsimdInjectTarget*, copied out per request */
	/* what reached the handler */
	guint              executed;
	gchar             *last_eid;
	gchar             *last_eim_id;
	EsimEimPackageKind last_kind;
	EsimdInjectBinding last_binding;
} InjectFixture;

static GPtrArray *
handler_list_targets (gpointer user_data)
{
	InjectFixture *f = user_data;
	GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) esimd_inject_target_free);

	for (guint i = 0; i < f->targets->len; i++) {
		EsimdInjectTarget *target = g_ptr_array_index (f->targets, i);

		g_ptr_array_add (copy, esimd_inject_target_new (target->eid, target->eim_id,
		                                                target->tls_trust, target->host));
	}
	return copy;
}

/* Answers later, as a queued operation does: unsigned data requests with an
 * IpaEuiccDataResponse error, everything else with eimPackageReceived. */
static gboolean
handler_answer_cb (gpointer user_data)
{
	EsimdInjectRequest *request = user_data;
	const EsimEimPackage *package = esimd_inject_request_get_package (request);
	g_autoptr(GBytes) data = NULL;
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA };
	EsimTransferEimPackageResponse response = { .kind = ESIM_TRANSFER_RESPONSE_RECEIVED };

	if (package->kind == ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST) {
		data = esim_esipa_build_ipa_euicc_data_error (NULL, 1, NULL);
		g_assert_nonnull (data);
		result.ipa_euicc_data_response = data;
		response.kind = ESIM_TRANSFER_RESPONSE_RESULT;
		response.result = &result;
	}
	esimd_inject_request_return (request, &response);
	return G_SOURCE_REMOVE;
}

static void
handler_execute (EsimdInjectRequest *request, gpointer user_data)
{
	InjectFixture *f = user_data;

	f->executed++;
	g_free (f->last_eid);
	f->last_eid = g_strdup (esimd_inject_request_get_eid (request));
	g_free (f->last_eim_id);
	f->last_eim_id = g_strdup (esimd_inject_request_get_eim_id (request));
	f->last_kind = esimd_inject_request_get_package (request)->kind;
	f->last_binding = esimd_inject_request_get_binding (request);
	g_idle_add (handler_answer_cb, request);
}

static const EsimdInjectHandler test_handler = {
	.list_targets = handler_list_targets,
	.execute = handler_execute,
};

/* The eIM configuration's trustedPublicKeyDataTls: the eIM's own TLS
 * certificate, or (@ca) the CA that issued it. */
static GTlsDatabase *
trust_of_eim (InjectFixture *f, gboolean ca)
{
	g_autoptr(GError) error = NULL;
	GTlsDatabase *trust = esim_eim_tls_database_new (ESIM_EIM_KEY_CERTIFICATE,
	                                                 ca ? esim_test_eim_get_tls_ca_der (f->eim)
	                                                    : esim_test_eim_get_tls_certificate_der (f->eim),
	                                                 NULL, &error);

	g_assert_no_error (error);
	return trust;
}

static void
fixture_add_target_full (InjectFixture *f, const gchar *eid, const gchar *eim_id, gboolean with_trust,
                         gboolean ca, const gchar *fqdn)
{
	g_autoptr(GTlsDatabase) trust = with_trust ? trust_of_eim (f, ca) : NULL;

	g_ptr_array_add (f->targets, esimd_inject_target_new (eid, eim_id, trust, fqdn));
}

static void
fixture_add_target (InjectFixture *f, const gchar *eid, const gchar *eim_id, gboolean with_trust)
{
	fixture_add_target_full (f, eid, eim_id, with_trust, FALSE, esim_test_eim_get_fqdn (f->eim));
}

static void
inject_setup (InjectFixture *f, gconstpointer data)
{
	g_autofree gchar *cert = NULL;
	g_autofree gchar *key = NULL;
	g_autofree gchar *client_cert = NULL;
	g_autofree gchar *client_key = NULL;
	g_autoptr(GPtrArray) cis = g_ptr_array_new ();
	g_autoptr(GError) error = NULL;
	EsimTestEimOptions eim_options = { 0 };
	EsimdInjectOptions options = {
		.address = "127.0.0.1",
		.max_body = MAX_BODY,
		.read_timeout_s = READ_TIMEOUT,
	};

	f->pki = test_pki_get ();
	f->credentials_dir = g_dir_make_tmp ("test-inject-eim-XXXXXX", &error);
	g_assert_no_error (error);
	eim_options.credentials_dir = f->credentials_dir;
	f->eim = esim_test_eim_new (&eim_options, &error);
	g_assert_no_error (error);
	g_ptr_array_add (cis, f->pki->ci);
	esim_test_eim_set_ci_certificates (f->eim, cis);
	g_assert_true (esim_test_eim_add_euicc (f->eim, f->pki->eid, &error));
	g_assert_true (esim_test_eim_set_euicc_certificate (f->eim, f->pki->eid, f->pki->euicc, &error));
	client_cert = g_build_filename (f->credentials_dir, "eim-tls.pem", NULL);
	client_key = g_build_filename (f->credentials_dir, "eim-tls-key.pem", NULL);
	f->eim_client = g_tls_certificate_new_from_files (client_cert, client_key, &error);
	g_assert_no_error (error);
	f->listener_trust = g_tls_file_database_new (f->pki->ci_pem, &error);
	g_assert_no_error (error);

	f->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) esimd_inject_target_free);
	fixture_add_target (f, f->pki->eid, esim_test_eim_get_id (f->eim), TRUE);
	cert = g_build_filename (f->pki->dir, "DPtls", "CERT_S_SM_DP_TLS_NIST.pem", NULL);
	key = g_build_filename (f->pki->dir, "DPtls", "SK_S_SM_DP_TLS_NIST.pem", NULL);
	options.certificate_file = cert;
	options.key_file = key;
	f->server = esimd_inject_server_new (&options, &test_handler, f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (esimd_inject_server_get_port (f->server), >, 0);
	f->address = g_strdup_printf ("localhost:%u", esimd_inject_server_get_port (f->server));
}

static void
rm_rf (const gchar *dir)
{
	g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
	const gchar *name;

	while (handle != NULL && (name = g_dir_read_name (handle)) != NULL) {
		g_autofree gchar *path = g_build_filename (dir, name, NULL);

		g_remove (path);
	}
	g_rmdir (dir);
}

static void
inject_teardown (InjectFixture *f, gconstpointer data)
{
	g_clear_object (&f->server);
	g_clear_object (&f->eim);
	g_clear_object (&f->eim_client);
	g_clear_object (&f->listener_trust);
	g_clear_pointer (&f->targets, g_ptr_array_unref);
	g_free (f->address);
	g_free (f->last_eid);
	g_free (f->last_eim_id);
	rm_rf (f->credentials_dir);
	g_free (f->credentials_dir);
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static const EsimTestEimRecord *
push (InjectFixture *f, EsimTestEimBinding binding, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_test_eim_push_async (f->eim, f->pki->eid, f->address, NULL, f->listener_trust, binding, NULL,
	                          test_store_result, &res);
	test_wait (&res, 30, "the push");
	return esim_test_eim_push_finish (f->eim, res, error);
}

/* A POST as the test's own eIM client: @client_cert nullable. */
static GBytes *
post (InjectFixture *f, const gchar *method, const gchar *path, const gchar *content_type,
      GBytes *body, GTlsCertificate *client_cert, guint *status)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options ("tls-database", f->listener_trust,
	                                                                "timeout", 20, NULL);
	g_autofree gchar *url = g_strdup_printf ("https://%s%s", f->address, path);
	g_autoptr(SoupMessage) msg = soup_message_new (method, url);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *answer;

	if (body != NULL)
		soup_message_set_request_body_from_bytes (msg, content_type, body);
	if (client_cert != NULL)
		soup_message_set_tls_client_certificate (msg, client_cert);
	soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, test_store_result, &res);
	test_wait (&res, 30, "the answer of the inject listener");
	answer = soup_session_send_and_read_finish (session, res, &error);
	g_assert_no_error (error);
	*status = soup_message_get_status (msg);
	return answer;
}

static GBytes *
hex (const gchar *text)
{
	return test_hex (text);
}

/* An euiccPackageRequest pushed by the configured eIM for our EID: the handler
 * gets it with the eUICC and the eIM, its answer reaches the eIM. */
static void
test_signed_accepted (InjectFixture *f, gconstpointer data)
{
	EsimTestEimBinding binding = GPOINTER_TO_INT (data);
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;
	const EsimTestEimRecord *record;

	g_assert_true (esim_test_eim_package_add_enable (package, ICCID, FALSE, &error));
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
	record = push (f, binding, &error);
	g_assert_no_error (error);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_PACKAGE_RECEIVED);
	g_assert_cmpuint (f->executed, ==, 1);
	g_assert_cmpstr (f->last_eid, ==, f->pki->eid);
	g_assert_cmpstr (f->last_eim_id, ==, esim_test_eim_get_id (f->eim));
	g_assert_cmpint (f->last_kind, ==, ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST);
	g_assert_cmpint (f->last_binding, ==, binding == ESIM_TEST_EIM_BINDING_ASN1
	                                      ? ESIMD_INJECT_BINDING_ASN1 : ESIMD_INJECT_BINDING_JSON);
}

/* Signed packages from an eIM we do not have, or for an EID that is not ours:
 * 403, and the handler never sees them. */
static void
test_signed_refused (InjectFixture *f, gconstpointer data)
{
	EsimTestEimBinding binding = GPOINTER_TO_INT (data);
	EsimTestEimFault wrong_eid = { .kind = ESIM_TEST_EIM_FAULT_WRONG_EID, .count = 1 };
	EsimTestEimFault wrong_eim = { .kind = ESIM_TEST_EIM_FAULT_WRONG_EIM_ID, .count = 1 };
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < 3; i++) {
		g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();

		g_assert_true (esim_test_eim_package_add_enable (package, ICCID, FALSE, &error));
		esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
		if (i == 0)
			esim_test_eim_add_fault (f->eim, &wrong_eid);
		else if (i == 1)
			esim_test_eim_add_fault (f->eim, &wrong_eim);
		else {
			/* the eIM is ours, but on another eUICC */
			g_ptr_array_set_size (f->targets, 0);
			fixture_add_target (f, OTHER_EID, esim_test_eim_get_id (f->eim), TRUE);
		}
		g_assert_null (push (f, binding, &error));
		g_assert_nonnull (strstr (error->message, "HTTP 403"));
		g_clear_error (&error);
		assert_warned (i == 1 ? "is configured on none of our eUICCs" : "is not configured on an eUICC with EID");
	}
	g_assert_cmpuint (f->executed, ==, 0);
}

/* Unsigned packages: only with the eIM's TLS client certificate, which its
 * configuration's trust verifies, for exactly one eUICC. */
static void
test_unsigned (InjectFixture *f, gconstpointer data)
{
	/* BF4E { BF52 { 5C 02 BF20 } }: an ipaEuiccDataRequest for euiccInfo1 */
	g_autoptr(GBytes) request = hex ("BF4E07BF52045C02BF20");
	const guint8 tags[] = { 0xBF, 0x20 };
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	guint status = 0;

	/* the test eIM's push shows its TLS certificate: the handler runs the package
	 * and its IpaEuiccDataResponse reaches the eIM, in both bindings */
	for (guint i = 0; i < 2; i++) {
		const EsimTestEimRecord *record;

		esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_data_request (tags, 2));
		record = push (f, i == 0 ? ESIM_TEST_EIM_BINDING_ASN1 : ESIM_TEST_EIM_BINDING_JSON, &error);
		g_assert_no_error (error);
		g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA_ERROR);
		g_assert_cmpuint (f->executed, ==, i + 1);
	}

	/* without a client certificate: refused */
	answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, request, NULL, &status);
	g_assert_cmpuint (status, ==, 403);
	g_clear_pointer (&answer, g_bytes_unref);
	assert_warned ("the client showed none");

	/* with it, from the test's own client */
	answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, request, f->eim_client,
	               &status);
	g_assert_cmpuint (status, ==, 200);
	g_assert_cmpuint (f->executed, ==, 3);
	g_assert_cmpint (f->last_kind, ==, ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST);
	g_assert_cmpstr (f->last_eid, ==, f->pki->eid);
	g_assert_cmpstr (f->last_eim_id, ==, esim_test_eim_get_id (f->eim));
	/* BF4E { BF52 { A1 { 02 01 01 } } }: incorrectTagList */
	g_assert_cmpuint (g_bytes_get_size (answer), >, 4);
	g_assert_cmpuint (((const guint8 *) g_bytes_get_data (answer, NULL))[0], ==, 0xBF);
	g_assert_cmpuint (((const guint8 *) g_bytes_get_data (answer, NULL))[1], ==, 0x4E);
	g_clear_pointer (&answer, g_bytes_unref);

	/* another certificate (the listener's own, as a client's): not this eIM */
	answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, request, f->pki->dp_tls,
	               &status);
	g_assert_cmpuint (status, ==, 403);
	g_clear_pointer (&answer, g_bytes_unref);
	assert_warned ("is that of none of the eIMs configured");

	/* the same eIM on two eUICCs: an unsigned package does not say which */
	fixture_add_target (f, OTHER_EID, esim_test_eim_get_id (f->eim), TRUE);
	answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, request, f->eim_client,
	               &status);
	g_assert_cmpuint (status, ==, 403);
	g_assert_cmpuint (f->executed, ==, 3);
	assert_warned ("trusted by 2 eIM configurations");
	g_clear_pointer (&answer, g_bytes_unref);

	/* trust in the eIM's CA: its certificate counts for the eIM whose eimFqdn it names */
	g_ptr_array_set_size (f->targets, 0);
	fixture_add_target_full (f, f->pki->eid, esim_test_eim_get_id (f->eim), TRUE, TRUE,
	                         esim_test_eim_get_fqdn (f->eim));
	answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, request, f->eim_client,
	               &status);
	g_assert_cmpuint (status, ==, 200);
	g_assert_cmpuint (f->executed, ==, 4);
	g_clear_pointer (&answer, g_bytes_unref);
	/* … and for no other name, nor without one: the CA vouches for names only */
	for (guint i = 0; i < 2; i++) {
		g_ptr_array_set_size (f->targets, 0);
		fixture_add_target_full (f, f->pki->eid, esim_test_eim_get_id (f->eim), TRUE, TRUE,
		                         i == 0 ? "eim.example.com:443" : NULL);
		answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, request,
		               f->eim_client, &status);
		g_assert_cmpuint (status, ==, 403);
		g_clear_pointer (&answer, g_bytes_unref);
		assert_warned ("is that of none of the eIMs configured");
	}
	g_assert_cmpuint (f->executed, ==, 4);
}

/* Bad requests: each refused with its status, none reaches the handler, and
 * the listener serves the next one. */
static void
test_bad_input (InjectFixture *f, gconstpointer data)
{
	const struct {
		const gchar *method;
		const gchar *path;
		const gchar *content_type;
		const gchar *body;   /* hex, or JSON text for the JSON path */
		guint        status;
	} cases[] = {
		{ "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, "00", 400 },
		{ "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, "BF4E05BF5202", 400 },
		/* a GetEimPackageResponse error is not a package */
		{ "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, "BF4E03020101", 400 },
		{ "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, "BF4E00", 400 },
		{ "POST", ESIM_ESIPA_PATH_ASN1, "text/plain", "BF4E00", 415 },
		{ "POST", "/gsma/rsp2/es9plus/handleNotification", ESIM_ESIPA_CONTENT_TYPE_ASN1, "BF4E00", 404 },
		{ "GET", ESIM_ESIPA_PATH_ASN1, NULL, NULL, 405 },
		{ "POST", ESIM_ESIPA_JSON_PATH_TRANSFER_EIM_PACKAGE, "application/json", "{", 400 },
		{ "POST", ESIM_ESIPA_JSON_PATH_TRANSFER_EIM_PACKAGE, "application/json",
		  "{\"euiccPackageRequest\":\"!!\"}", 400 },
		{ "POST", ESIM_ESIPA_JSON_PATH_TRANSFER_EIM_PACKAGE, "application/json", "[]", 400 },
	};
	g_autoptr(GByteArray) big = g_byte_array_new ();
	g_autoptr(GBytes) big_body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	guint status = 0;

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) body = NULL;

		if (cases[i].body != NULL)
			body = g_str_has_prefix (cases[i].path, ESIM_TEST_EIM_JSON_PREFIX)
			       ? g_bytes_new_static (cases[i].body, strlen (cases[i].body))
			       : hex (cases[i].body);
		g_clear_pointer (&answer, g_bytes_unref);
		answer = post (f, cases[i].method, cases[i].path, cases[i].content_type, body, f->eim_client,
		               &status);
		if (status != cases[i].status)
			g_error ("case %u (%s %s %s): HTTP %u, expected %u", i, cases[i].method, cases[i].path,
			         cases[i].body != NULL ? cases[i].body : "", status, cases[i].status);
		g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
		assert_warned ("inject from ");
	}
	/* over the size limit: refused on its Content-Length */
	g_byte_array_set_size (big, MAX_BODY + 1);
	memset (big->data, 0x30, big->len);
	big_body = g_byte_array_free_to_bytes (g_steal_pointer (&big));
	g_clear_pointer (&answer, g_bytes_unref);
	answer = post (f, "POST", ESIM_ESIPA_PATH_ASN1, ESIM_ESIPA_CONTENT_TYPE_ASN1, big_body, f->eim_client,
	               &status);
	g_assert_cmpuint (status, ==, 413);
	g_assert_cmpuint (f->executed, ==, 0);
	assert_warned ("bytes (at most 4096)");

	/* still serving */
	g_assert_true (esim_test_eim_package_add_disable (package, ICCID, &error));
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
	g_assert_nonnull (push (f, ESIM_TEST_EIM_BINDING_ASN1, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (f->executed, ==, 1);
}

typedef struct {
	guint8     buffer[64];
	gssize     read;      /* -2: not yet */
	GError    *error;
} SlowClient;

static void
slow_read_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	SlowClient *client = user_data;

	client->read = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &client->error);
}

static gboolean
slow_client_done (gpointer user_data)
{
	return ((SlowClient *) user_data)->read != -2;
}

static gboolean
accept_any (GTlsConnection *connection, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer user_data)
{
	return TRUE;
}

/* A client that connects, starts a request and stops: disconnected once the
 * read timeout passed, without an answer.  Everything async: the listener runs
 * in this main context. */
static void
test_slow_client (InjectFixture *f, gconstpointer data)
{
	g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GIOStream) tls = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	static const gchar partial[] = "POST /gsma/rsp2/asn1 HTTP/1.1\r\nHost: localhost\r\n";
	SlowClient client = { .read = -2 };
	gint64 start;

	g_socket_client_connect_to_host_async (socket_client, "127.0.0.1", esimd_inject_server_get_port (f->server),
	                                       NULL, test_store_result, &res);
	test_wait (&res, 10, "the TCP connection to the listener");
	connection = g_socket_client_connect_to_host_finish (socket_client, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	tls = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
	g_assert_no_error (error);
	g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
	g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, NULL, test_store_result, &res);
	test_wait (&res, 10, "the TLS handshake with the listener");
	g_assert_true (g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), res, &error));
	g_assert_no_error (error);
	g_clear_object (&res);
	g_output_stream_write_all_async (g_io_stream_get_output_stream (tls), partial, strlen (partial),
	                                 G_PRIORITY_DEFAULT, NULL, test_store_result, &res);
	test_wait (&res, 10, "half a request written");
	g_assert_true (g_output_stream_write_all_finish (g_io_stream_get_output_stream (tls), res, NULL, &error));
	g_assert_no_error (error);
	start = g_get_monotonic_time ();
	g_input_stream_read_async (g_io_stream_get_input_stream (tls), client.buffer, sizeof (client.buffer),
	                           G_PRIORITY_DEFAULT, NULL, slow_read_cb, &client);
	esim_test_wait_until_func (esim_test_wait_scaled_ms ((READ_TIMEOUT + 5) * 1000), slow_client_done, &client,
	                           "the listener to drop a client that sends half a request");
	/* an end of stream or a broken connection, never an answer */
	g_assert_cmpint (client.read, <=, 0);
	g_assert_cmpint (g_get_monotonic_time () - start, >=, (READ_TIMEOUT - 1) * G_USEC_PER_SEC);
	g_clear_error (&client.error);
	g_assert_cmpuint (f->executed, ==, 0);
	assert_warned ("no complete request within 2 s");
}

int
main (int argc, char *argv[])
{
	int status;

	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	g_test_init (&argc, &argv, NULL);
	/* refusals are warnings by design: captured and checked, not fatal */
	g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	warnings = g_ptr_array_new_with_free_func (g_free);
	g_log_set_handler ("esimd", G_LOG_LEVEL_MASK, capture_log, NULL);
	g_test_add ("/push/inject/signed/asn1", InjectFixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_ASN1),
	            inject_setup, test_signed_accepted, inject_teardown);
	g_test_add ("/push/inject/signed/json", InjectFixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_JSON),
	            inject_setup, test_signed_accepted, inject_teardown);
	g_test_add ("/push/inject/refused/asn1", InjectFixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_ASN1),
	            inject_setup, test_signed_refused, inject_teardown);
	g_test_add ("/push/inject/refused/json", InjectFixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_JSON),
	            inject_setup, test_signed_refused, inject_teardown);
	g_test_add ("/push/inject/unsigned", InjectFixture, NULL, inject_setup, test_unsigned, inject_teardown);
	g_test_add ("/push/inject/bad-input", InjectFixture, NULL, inject_setup, test_bad_input, inject_teardown);
	g_test_add ("/push/inject/slow-client", InjectFixture, NULL, inject_setup, test_slow_client,
	            inject_teardown);
	status = g_test_run ();
	test_pki_cleanup ();
	return status;
}
