/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimEsipaClient against the test eIM (tests/servers/esim-test-eim.h) over
 * real TLS, in both bindings: every ESipa function, the eIM's TLS trust in
 * each form SGP.32 allows (pinned key, the eIM's certificate, a CA
 * certificate, an administrator's CA file) and none, one connection per
 * procedure, the repeats the client allows itself and those it refuses, and
 * the faults (HTTP 500, no answer, a dropped connection, the eIM's error
 * codes).  The test eIM builds and parses its DER and JSON itself, never with
 * src/lib/esim-esipa*: client and server cannot agree on a wrong encoding.
 * TLS session resumption is not visible in a GTest program (glib-networking
 * resumes nothing there): esipa-resume-probe, a plain program, shows it and
 * is run from here.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-eim-tls-database.h"
#include "esim-esipa-client.h"
#include "esim-esipa-json.h"
#include "esim-util.h"
#include "net-test-util.h"
#include "test-eim-util.h"

#define WAIT_SECONDS 30
#define ICCID        "8988308650122898710"
#define OTHER_HOST   "eim.test"   /* the suite's resolver: 127.0.0.1; not in the eIM's certificate */

typedef struct {
	const TestPki   *pki;
	EsimTestEim     *eim;
	EsimEsipaBinding binding;
	EsimEsipaClient *client;
	gchar           *dir;       /* CA files */
} EsipaFixture;

#define WAIT(res, what) test_wait (&(res), WAIT_SECONDS, (what))

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

/* The eIM's configuration as the card lists it (DER written by the test eIM,
 * parsed by src/lib as the daemon does), with @fqdn_host instead of the
 * eIM's own host when non-NULL. */
static EsimEimConfig *
eim_config (EsipaFixture *f, EsimTestEimTlsTrust trust, const gchar *fqdn_host)
{
	EsimTestEimConfigOptions options = { .tls_trust = trust };
	g_autoptr(GBytes) der = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimConfig *config;

	der = esim_test_eim_build_configuration (f->eim, &options, &error);
	g_assert_no_error (error);
	config = esim_es10_parse_eim_config (g_bytes_get_data (der, NULL), g_bytes_get_size (der),
	                                     &error);
	g_assert_no_error (error);
	if (fqdn_host != NULL) {
		g_free (config->fqdn);
		config->fqdn = g_strdup_printf ("%s:%u", fqdn_host, esim_test_eim_get_port (f->eim));
	}
	return config;
}

static EsimEsipaClient *
make_client (EsipaFixture *f, EsimTestEimTlsTrust trust, const gchar *fqdn_host,
             const gchar *ca_file, GError **error)
{
	EsimEsipaClientOptions options = {
		.binding = f->binding, .ca_file = ca_file, .timeout = 10, .retry_delay = 1,
	};
	g_autoptr(EsimEimConfig) config = eim_config (f, trust, fqdn_host);

	return esim_esipa_client_new (config, &options, error);
}

static void
fixture_setup_binding (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) cis = g_ptr_array_new ();

	f->pki = test_pki_get ();
	f->binding = GPOINTER_TO_INT (data);
	f->eim = esim_test_eim_new (NULL, &error);
	g_assert_no_error (error);
	g_ptr_array_add (cis, f->pki->ci);
	esim_test_eim_set_ci_certificates (f->eim, cis);
	g_assert_true (esim_test_eim_add_euicc (f->eim, f->pki->eid, &error));
	g_assert_true (esim_test_eim_set_euicc_certificate (f->eim, f->pki->eid, f->pki->euicc, &error));
	f->dir = g_dir_make_tmp ("test-esipa-XXXXXX", &error);
	g_assert_no_error (error);
	f->client = make_client (f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL, NULL, &error);
	g_assert_no_error (error);
}

static void
fixture_teardown_binding (EsipaFixture *f, gconstpointer data)
{
	g_clear_object (&f->client);
	g_clear_object (&f->eim);
	rm_rf (f->dir);
	g_free (f->dir);
	/* let libsoup finish closing what it closes in idle callbacks */
	while (g_main_context_iteration (NULL, FALSE))
		;
}

/* ---- the calls, synchronously ---- */

static EsimEimPackage *
get_package (EsipaFixture *f, EsimEsipaClient *client, gint *eim_error, GError **error)
{
	EsimGetEimPackageRequest request = { .eid = f->pki->eid, .state_change_cause = -1 };
	g_autoptr(GAsyncResult) res = NULL;

	esim_esipa_client_get_eim_package_async (client, &request, NULL, test_store_result, &res);
	WAIT (res, "GetEimPackage");
	return esim_esipa_client_get_eim_package_finish (client, res, eim_error, error);
}

static EsimProvideResultResponse *
provide (EsipaFixture *f, const EsimEimPackageResult *result, gint *eim_error, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_esipa_client_provide_eim_package_result_async (f->client, f->pki->eid, result, NULL,
	                                                    test_store_result, &res);
	WAIT (res, "ProvideEimPackageResult");
	return esim_esipa_client_provide_eim_package_result_finish (f->client, res, eim_error,
	                                                            error);
}

static gboolean
handle_notification (EsipaFixture *f, GBytes *notification, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_esipa_client_handle_notification_async (f->client, notification, NULL,
	                                             test_store_result, &res);
	WAIT (res, "HandleNotification");
	return esim_esipa_client_handle_notification_finish (f->client, res, error);
}

static guint
function_requests (EsipaFixture *f, EsimTestEimFunction function)
{
	EsimTestEimCounters counters;

	esim_test_eim_get_counters (f->eim, &counters);
	for (guint i = 0; i < ESIM_TEST_EIM_N_FUNCTIONS; i++) {
		if (function == (1u << i))
			return counters.function_requests[i];
	}
	g_assert_not_reached ();
}

static guint
connections (EsipaFixture *f)
{
	EsimTestEimCounters counters;

	esim_test_eim_get_counters (f->eim, &counters);
	return counters.connections;
}

static const EsimTestEimRecord *
last_record (EsipaFixture *f)
{
	GPtrArray *records = esim_test_eim_get_records (f->eim, f->pki->eid);

	g_assert_cmpuint (records->len, >, 0);
	return g_ptr_array_index (records, records->len - 1);
}

static const EsimTestEimDelivery *
last_delivery (EsipaFixture *f)
{
	GPtrArray *deliveries = esim_test_eim_get_deliveries (f->eim, f->pki->eid);

	g_assert_cmpuint (deliveries->len, >, 0);
	return g_ptr_array_index (deliveries, deliveries->len - 1);
}

static void
queue_enable (EsipaFixture *f)
{
	g_autoptr(GError) error = NULL;
	EsimTestEimPackage *package = esim_test_eim_package_new_psmos ();

	g_assert_true (esim_test_eim_package_add_enable (package, ICCID, FALSE, &error));
	g_assert_no_error (error);
	esim_test_eim_queue (f->eim, f->pki->eid, package);
}

/* The card's signed result for @request: enable ok, sequence number @seq. */
static GBytes *
make_result (EsipaFixture *f, const EsimEuiccPackageRequest *request, gint64 seq)
{
	g_autoptr(GBytes) ok = test_hex ("830100");
	g_autoptr(GBytes) transaction_id = NULL;

	if (request->eim_transaction_id != NULL)
		transaction_id = test_hex (request->eim_transaction_id);
	return test_make_epr (f->pki, request->eim_id, (gint64) request->counter_value,
	                      transaction_id, seq, ok, FALSE, 0);
}

/* ------------------------------------------------------------------------ */
/* every function */

/* A poll cycle as the IPA runs it: GetEimPackage, the result, its
 * acknowledgement, a notification, then "no package": one connection. */
static void
test_poll_cycle (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(EsimEimPackage) none = NULL;
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) notification = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT };
	const EsimTestEimRecord *record;
	gint eim_error = 0;

	/* the test eIM's libsoup closes the connection after a 204 (a response
	 * without Content-Length is "terminated by EOF" to soup_server_message_is_keepalive):
	 * its JSON binding answers HandleNotification with a header instead */
	esim_test_eim_set_empty_answer (f->eim, ESIM_TEST_EIM_BINDING_JSON, 200);
	queue_enable (f);
	package = get_package (f, f->client, &eim_error, &error);
	g_assert_no_error (error);
	g_assert_cmpint (eim_error, ==, -1);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST);
	/* what the card gets is the eIM's TLV, byte for byte */
	g_assert_true (g_bytes_equal (package->euicc_package_request->raw, last_delivery (f)->tlv));
	g_assert_cmpint (package->euicc_package_request->counter_value, ==, last_delivery (f)->counter);

	epr = make_result (f, package->euicc_package_request, 21);
	result.euicc_package_result = epr;
	response = provide (f, &result, &eim_error, &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS);
	g_assert_cmpuint (response->acknowledgements->len, ==, 1);
	g_assert_cmpuint (g_array_index (response->acknowledgements, guint64, 0), ==, 21);
	record = last_record (f);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_cmpint (record->binding, ==, (gint) f->binding);
	g_assert_true (g_bytes_equal (record->tlv, epr));
	g_assert_null (record->problems);

	notification = test_make_notification (f->pki, 22, "smdp.example");
	g_assert_true (handle_notification (f, notification, &error));
	g_assert_no_error (error);
	record = last_record (f);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_NOTIFICATION);
	g_assert_cmpint (record->seq_number, ==, 22);
	g_assert_true (g_bytes_equal (record->tlv, notification));

	none = get_package (f, f->client, &eim_error, &error);
	g_assert_no_error (error);
	g_assert_cmpint (none->kind, ==, ESIM_EIM_PACKAGE_ERROR);
	g_assert_cmpint (none->error_code, ==, ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE);
	g_assert_cmpint (eim_error, ==, -1);

	/* goal: one connection from GetEimPackage to the acknowledgement */
	g_assert_cmpuint (connections (f), ==, 1);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, 2);
	/* the end of the procedure closes it; the next one opens another */
	esim_esipa_client_end_procedure (f->client);
	g_clear_pointer (&none, esim_eim_package_free);
	none = get_package (f, f->client, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (connections (f), ==, 2);
}

/* The other packages and results: a data request answered with data, a
 * download trigger answered with an error, ePRAndNotifications, and a result
 * through HandleNotification. */
static void
test_packages_and_results (EsipaFixture *f, gconstpointer data)
{
	static const guint8 tags[] = { 0xBF, 0x20, 0xA8 };
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(GBytes) info1 = test_hex ("BF2003820102");
	g_autoptr(GBytes) data_response = NULL;
	g_autoptr(GBytes) trigger_result = NULL;
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) notification = NULL;
	g_autoptr(GPtrArray) notifications = g_ptr_array_new ();
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimIpaEuiccData ipa_data = { .euicc_info1 = info1, .has_ipa_capabilities = TRUE,
	                              .ipa_features = ESIM_IPA_FEATURE_INDIRECT_RSP };
	EsimEimPackageResult result = { 0 };

	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_data_request (tags, sizeof (tags)));
	package = get_package (f, f->client, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST);
	g_assert_cmpuint (package->ipa_euicc_data_request->tags->len, ==, 2);
	ipa_data.eim_transaction_id = package->ipa_euicc_data_request->eim_transaction_id;
	data_response = esim_esipa_build_ipa_euicc_data (&ipa_data, &error);
	g_assert_no_error (error);
	result.kind = ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA;
	result.ipa_euicc_data_response = data_response;
	response = provide (f, &result, NULL, &error);
	g_assert_no_error (error);
	/* nothing to acknowledge: emptyResponse (openiotrsp's reading, digest "Fourth pass") */
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_EMPTY);
	g_assert_cmpint (last_record (f)->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA);
	g_assert_true (g_bytes_equal (last_record (f)->tlv, data_response));
	g_clear_pointer (&package, esim_eim_package_free);
	g_clear_pointer (&response, esim_provide_result_response_free);

	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_download ("1$smdp.example$MID"));
	package = get_package (f, f->client, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER);
	g_assert_cmpstr (package->profile_download_trigger->activation_code, ==, "1$smdp.example$MID");
	trigger_result = esim_esipa_build_download_trigger_error (package->profile_download_trigger->eim_transaction_id,
	                                                          ESIM_ESIPA_UNDEFINED_ERROR, NULL, &error);
	g_assert_no_error (error);
	result.kind = ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER;
	result.profile_download_trigger_result = trigger_result;
	response = provide (f, &result, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (last_record (f)->kind, ==, ESIM_TEST_EIM_RECORD_DOWNLOAD_ERROR);
	g_clear_pointer (&package, esim_eim_package_free);
	g_clear_pointer (&response, esim_provide_result_response_free);

	/* a result with a notification, through HandleNotification: both acknowledged */
	queue_enable (f);
	package = get_package (f, f->client, NULL, &error);
	g_assert_no_error (error);
	epr = make_result (f, package->euicc_package_request, 31);
	notification = test_make_notification (f->pki, 32, "smdp.example");
	g_ptr_array_add (notifications, notification);
	result.kind = ESIM_EIM_PACKAGE_RESULT_EPR_AND_NOTIFICATIONS;
	result.euicc_package_result = epr;
	result.notifications = notifications;
	esim_esipa_client_handle_notification_result_async (f->client, f->pki->eid, &result, NULL,
	                                                    test_store_result, &res);
	WAIT (res, "HandleNotification with a result");
	response = esim_esipa_client_handle_notification_result_finish (f->client, res, NULL, &error);
	g_assert_no_error (error);
	/* the eIM answers HandleNotification with nothing (onomondo-eim): emptyResponse */
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_EMPTY);
	g_assert_cmpint (function_requests (f, ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION), ==, 1);
	{
		g_autoptr(GArray) acks = esim_test_eim_get_acknowledged (f->eim, f->pki->eid);

		g_assert_cmpuint (acks->len, ==, 2);
		g_assert_cmpint (g_array_index (acks, gint64, 0), ==, 31);
		g_assert_cmpint (g_array_index (acks, gint64, 1), ==, 32);
	}
}

/* HandleNotification's answer without data in each form an eIM sends it:
 * 200 empty (onomondo-eim), 204 (openiotrsp), 200 with a header alone (JSON). */
static void
test_empty_answers (EsipaFixture *f, gconstpointer data)
{
	static const guint statuses[] = { 200, 204 };
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (statuses); i++) {
		g_autoptr(GBytes) notification = test_make_notification (f->pki, 40 + i, "smdp.example");

		esim_test_eim_set_empty_answer (f->eim, (EsimTestEimBinding) f->binding, statuses[i]);
		g_assert_true (handle_notification (f, notification, &error));
		g_assert_no_error (error);
		g_assert_cmpint (last_record (f)->seq_number, ==, 40 + i);
	}
}

/* TransferEimPackageResponse, the answer to a push, in the eIM's binding. */
static void
test_transfer_response (EsipaFixture *f, gconstpointer data)
{
	EsimTransferEimPackageResponse response = { .kind = ESIM_TRANSFER_RESPONSE_RECEIVED };
	g_autoptr(GBytes) bf54 = test_hex ("BF5405300380017F");
	EsimEimPackageResult trigger = { .kind = ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER,
	                                 .profile_download_trigger_result = bf54 };
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *content_type = NULL;

	body = esim_esipa_client_encode_transfer_response (f->client, &response, &content_type, &error);
	g_assert_no_error (error);
	if (f->binding == ESIM_ESIPA_BINDING_ASN1) {
		g_autofree gchar *hex = esim_hex_encode_bytes (body);

		/* BF4E { 05 00 eimPackageReceived } (digest §3.2) */
		g_assert_cmpstr (content_type, ==, "application/x-gsma-rsp-asn1");
		g_assert_cmpstr (hex, ==, "BF4E020500");
	} else {
		g_assert_cmpstr (content_type, ==, "application/json;charset=UTF-8");
		g_assert_true (g_str_has_prefix (g_bytes_get_data (body, NULL), "{"));
	}
	/* a download result is no answer to a push (TransferEimPackageResponse has
	 * no such alternative): nothing is built */
	response.kind = ESIM_TRANSFER_RESPONSE_RESULT;
	response.result = &trigger;
	g_clear_pointer (&body, g_bytes_unref);
	body = esim_esipa_client_encode_transfer_response (f->client, &response, &content_type, &error);
	g_assert_null (body);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* The download relay's refusals, with the eIM's codes (the whole relay runs
 * in test-esipa-relay with a card and an SM-DP+). */
static void
test_relay_refusals (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimRspServer) relay = esim_esipa_client_new_relay (f->client, "0102030405");
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimAuthenticateClientOk) auth = NULL;
	g_autoptr(EsimBoundProfilePackageOk) bpp = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) challenge = test_hex ("00112233445566778899AABBCCDDEEFF");
	g_autoptr(GBytes) info1 = test_hex ("BF2003820102");
	g_autoptr(GBytes) bf38 = test_hex ("BF3803800100");
	g_autoptr(GBytes) bf21 = test_hex ("BF2103800100");
	g_autoptr(GBytes) bf41 = test_hex ("BF4103800100");
	g_autoptr(GTlsDatabase) smdp_trust = NULL;
	gboolean asn1 = f->binding == ESIM_ESIPA_BINDING_ASN1;

	g_assert_cmpstr (esim_rsp_server_get_description (relay), ==, "eIM esim-test-eim (relay)");
	/* an eimTransactionId the eIM never gave: invalidEimTransactionId (52) */
	esim_rsp_server_initiate_authentication_async (relay, challenge, info1, "smdp.example", NULL,
	                                               test_store_result, &res);
	WAIT (res, "InitiateAuthentication");
	init = esim_rsp_server_initiate_authentication_finish (relay, res, &error);
	g_assert_null (init);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_nonnull (strstr (error->message, asn1 ? "invalidEimTransactionId (52)" : "52"));
	g_clear_error (&error);
	g_clear_object (&res);

	/* a session the eIM does not know */
	smdp_trust = esim_test_eim_dup_tls_database (f->eim, &error);
	esim_test_eim_set_smdp_trust (f->eim, smdp_trust);
	esim_rsp_server_authenticate_client_async (relay, "0A0B", bf38, NULL, test_store_result, &res);
	WAIT (res, "AuthenticateClient");
	auth = esim_rsp_server_authenticate_client_finish (relay, res, &error);
	g_assert_null (auth);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_nonnull (strstr (error->message, asn1 ? "invalidTransactionId (10)" : "10"));
	g_clear_error (&error);
	g_clear_object (&res);
	esim_rsp_server_get_bound_profile_package_async (relay, "0A0B", bf21, NULL, test_store_result,
	                                                 &res);
	WAIT (res, "GetBoundProfilePackage");
	bpp = esim_rsp_server_get_bound_profile_package_finish (relay, res, &error);
	g_assert_null (bpp);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_nonnull (strstr (error->message, asn1 ? "invalidTransactionId (95)" : "95"));
	g_clear_error (&error);
	g_clear_object (&res);
	esim_rsp_server_cancel_session_async (relay, "0A0B", bf41, NULL, test_store_result, &res);
	WAIT (res, "CancelSession");
	g_assert_false (esim_rsp_server_cancel_session_finish (relay, res, &error));
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_nonnull (strstr (error->message, asn1 ? "invalidTransactionId (1)" : "1"));
	/* each went once: the eIM answered, nothing is repeated */
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION), ==, 1);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION), ==, 1);
	g_assert_cmpuint (connections (f), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* the eIM's error codes */

static void
add_fault (EsipaFixture *f, EsimTestEimFaultKind kind, EsimTestEimFunction function, guint count,
           gint64 value, gboolean after_processing)
{
	EsimTestEimFault fault = {
		.kind = kind, .functions = function, .count = count, .value = value,
		.after_processing = after_processing,
	};

	esim_test_eim_add_fault (f->eim, &fault);
}

static void
test_eim_errors (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(GBytes) data_error = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA };
	gint eim_error = 0;

	/* eimPackageError eidNotFound: a refusal with its code, not "no package" */
	add_fault (f, ESIM_TEST_EIM_FAULT_PACKAGE_ERROR, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE, 1,
	           ESIM_EIM_PACKAGE_ERROR_EID_NOT_FOUND, FALSE);
	package = get_package (f, f->client, &eim_error, &error);
	g_assert_null (package);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_cmpstr (error->message, ==, "GetEimPackage: eidNotFound (2)");
	g_assert_cmpint (eim_error, ==, ESIM_EIM_PACKAGE_ERROR_EID_NOT_FOUND);
	g_clear_error (&error);

	/* provideEimPackageResultError */
	add_fault (f, ESIM_TEST_EIM_FAULT_PROVIDE_ERROR, ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	           1, ESIM_ESIPA_UNDEFINED_ERROR, FALSE);
	data_error = esim_esipa_build_ipa_euicc_data_error (NULL, 1, &error);
	g_assert_no_error (error);
	result.ipa_euicc_data_response = data_error;
	response = provide (f, &result, &eim_error, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	if (f->binding == ESIM_ESIPA_BINDING_ASN1) {
		g_assert_cmpstr (error->message, ==, "ProvideEimPackageResult: undefinedError (127)");
		g_assert_cmpint (eim_error, ==, ESIM_ESIPA_UNDEFINED_ERROR);
	} else {
		/* the test eIM says it in a "Failed" header (osmo-ttcn3-hacks' form):
		 * the code is in the message, not in a member the client reads */
		g_assert_nonnull (strstr (error->message, "127"));
		g_assert_cmpint (eim_error, ==, -1);
	}
	g_clear_error (&error);
	/* a refusal is an answer: not repeated */
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT), ==, 1);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* faults and repeats */

/* HTTP 500 to GetEimPackage: an error naming the status, not repeated (the
 * eIM may have handed out its package). */
static void
test_http_500 (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	add_fault (f, ESIM_TEST_EIM_FAULT_HTTP_STATUS, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE, 1, 500,
	           FALSE);
	package = get_package (f, f->client, NULL, &error);
	g_assert_null (package);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "HTTP 500"));
	g_assert_nonnull (strstr (error->message, esim_test_eim_get_fqdn (f->eim)));
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, 1);
}

/* A result whose answer was lost (500 after the eIM recorded it) is delivered
 * again: the eIM takes the repeat as the same result and acknowledges it. */
static void
test_result_repeated (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT };
	GPtrArray *records;

	queue_enable (f);
	package = get_package (f, f->client, NULL, &error);
	g_assert_no_error (error);
	epr = make_result (f, package->euicc_package_request, 50);
	result.euicc_package_result = epr;
	add_fault (f, ESIM_TEST_EIM_FAULT_HTTP_STATUS, ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	           1, 503, TRUE);
	response = provide (f, &result, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS);
	g_assert_cmpuint (g_array_index (response->acknowledgements, guint64, 0), ==, 50);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT), ==, 2);
	records = esim_test_eim_get_records (f->eim, f->pki->eid);
	g_assert_cmpuint (records->len, ==, 2);
	g_assert_true (((EsimTestEimRecord *) records->pdata[1])->duplicate);
	g_assert_true (((EsimTestEimRecord *) records->pdata[1])->acknowledged);
}

/* No answer: the timeout, with the eIM named; GetEimPackage is not repeated. */
static void
test_no_answer (EsipaFixture *f, gconstpointer data)
{
	EsimEsipaClientOptions options = { .binding = f->binding, .timeout = 1, .retry_delay = 1 };
	g_autoptr(EsimEimConfig) config = eim_config (f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL);
	g_autoptr(EsimEsipaClient) client = esim_esipa_client_new (config, &options, NULL);
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint (esim_http_client_get_timeout (esim_esipa_client_get_http (client)), ==, 1);
	add_fault (f, ESIM_TEST_EIM_FAULT_NO_ANSWER, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE, 1, 0, FALSE);
	package = get_package (f, client, NULL, &error);
	g_assert_null (package);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_nonnull (strstr (error->message, "timed out after 1 s"));
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, 1);
}

/* The connection drops in the middle of the answer. */
static void
test_dropped_connection (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	queue_enable (f);
	add_fault (f, ESIM_TEST_EIM_FAULT_DROP_CONNECTION, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE, 1, 0,
	           FALSE);
	package = get_package (f, f->client, NULL, &error);
	g_assert_null (package);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, 1);
	/* the next procedure gets the package on a new connection */
	esim_esipa_client_end_procedure (f->client);
	g_clear_error (&error);
	package = get_package (f, f->client, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST);
	g_assert_cmpuint (connections (f), ==, 2);
}

/* The eIM is not there yet on the first attempt (connection refused: it
 * cannot have seen the request), and is on the repeat.  It keeps its
 * credentials in a directory, so the one that comes up late presents the CA
 * the client trusts (through a CA file: the configuration carries none). */
typedef struct {
	EsipaFixture *f;
	gchar        *credentials_dir;
	guint16       port;
} LateEim;

static gboolean
start_late_eim (gpointer user_data)
{
	LateEim *late = user_data;
	EsimTestEimOptions options = { .port = late->port, .credentials_dir = late->credentials_dir };
	g_autoptr(GError) error = NULL;

	late->f->eim = esim_test_eim_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_eim_add_euicc (late->f->eim, late->f->pki->eid, &error));
	return G_SOURCE_REMOVE;
}

static guint16
free_port (void)
{
	g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
	                                          G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
	bound = g_socket_get_local_address (socket, NULL);
	return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_repeat_unsent (EsipaFixture *f, gconstpointer data)
{
	g_autofree gchar *credentials = g_build_filename (f->dir, "credentials", NULL);
	g_autofree gchar *ca_file = g_build_filename (credentials, "eim-tls-ca.pem", NULL);
	EsimTestEimOptions first = { .credentials_dir = credentials };
	EsimEsipaClientOptions options = {
		.binding = f->binding, .timeout = 10, .retry_delay = 1, .ca_file = ca_file,
	};
	g_autoptr(EsimEimConfig) config = eim_config (f, ESIM_TEST_EIM_TLS_TRUST_NONE, NULL);
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimGetEimPackageRequest request = { .eid = f->pki->eid, .state_change_cause = -1 };
	EsimHttpCounters counters;
	LateEim late = { f, credentials, free_port () };

	/* the credentials, written once; then nobody listens on the port */
	g_clear_object (&f->eim);
	f->eim = esim_test_eim_new (&first, &error);
	g_assert_no_error (error);
	g_clear_object (&f->eim);
	g_assert_null (config->trusted_tls);
	g_free (config->fqdn);
	config->fqdn = g_strdup_printf ("127.0.0.1:%u", late.port);
	client = esim_esipa_client_new (config, &options, &error);
	g_assert_no_error (error);

	g_timeout_add (300, start_late_eim, &late);
	esim_esipa_client_get_eim_package_async (client, &request, NULL, test_store_result, &res);
	WAIT (res, "GetEimPackage, repeated");
	package = esim_esipa_client_get_eim_package_finish (client, res, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_ERROR);
	g_assert_cmpint (package->error_code, ==, ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE);
	esim_http_client_get_counters (esim_esipa_client_get_http (client), &counters);
	g_assert_cmpuint (counters.requests, ==, 2);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, 1);
}

/* The budget ends: nobody ever listens. */
static void
test_repeat_budget (EsipaFixture *f, gconstpointer data)
{
	EsimEsipaClientOptions options = {
		.binding = f->binding, .timeout = 10, .retry_delay = 1, .attempts = 2,
	};
	g_autoptr(EsimEimConfig) config = eim_config (f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL);
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;
	EsimHttpCounters counters;
	gint64 started = g_get_monotonic_time ();

	g_free (config->fqdn);
	config->fqdn = g_strdup_printf ("127.0.0.1:%u", free_port ());
	client = esim_esipa_client_new (config, &options, &error);
	g_assert_no_error (error);
	package = get_package (f, client, NULL, &error);
	g_assert_null (package);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	g_assert_nonnull (strstr (error->message, "cannot reach the eIM"));
	esim_http_client_get_counters (esim_esipa_client_get_http (client), &counters);
	g_assert_cmpuint (counters.requests, ==, 2);
	/* one delay between the two (a seconds timeout may fire up to a second
	 * early: g_timeout_source_new_seconds groups wakeups) */
	g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC / 100);
}

/* A cancellation ends the wait for a repeat at once. */
static gboolean
cancel_now (gpointer user_data)
{
	g_cancellable_cancel (G_CANCELLABLE (user_data));
	return G_SOURCE_REMOVE;
}

static void
test_cancel_during_delay (EsipaFixture *f, gconstpointer data)
{
	EsimEsipaClientOptions options = { .binding = f->binding, .timeout = 10, .retry_delay = 60 };
	g_autoptr(EsimEimConfig) config = eim_config (f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL);
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimGetEimPackageRequest request = { .eid = f->pki->eid, .state_change_cause = -1 };
	gint64 started = g_get_monotonic_time ();

	g_free (config->fqdn);
	config->fqdn = g_strdup_printf ("127.0.0.1:%u", free_port ());
	client = esim_esipa_client_new (config, &options, &error);
	g_assert_no_error (error);
	g_timeout_add (500, cancel_now, cancellable);
	esim_esipa_client_get_eim_package_async (client, &request, cancellable, test_store_result, &res);
	WAIT (res, "GetEimPackage, cancelled while waiting to repeat");
	package = esim_esipa_client_get_eim_package_finish (client, res, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------------ */
/* TLS trust */

static void
assert_polls (EsipaFixture *f, EsimEsipaClient *client)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	package = get_package (f, client, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_ERROR);
}

/* Refused at the handshake, never repeated, nothing reached the eIM. */
static void
assert_refused (EsipaFixture *f, EsimEsipaClient *client, const gchar *reason)
{
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;
	EsimHttpCounters counters;
	guint before = function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE);

	package = get_package (f, client, NULL, &error);
	g_assert_null (package);
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	if (strstr (error->message, reason) == NULL)
		g_error ("\"%s\" does not say \"%s\"", error->message, reason);
	esim_http_client_get_counters (esim_esipa_client_get_http (client), &counters);
	g_assert_cmpuint (counters.requests, ==, 1);
	g_assert_cmpuint (function_requests (f, ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE), ==, before);
}

/* trustedEimPkTls: the key is the identity, the name is not checked (the
 * eIM's certificate does not name eim.test). */
static void
test_trust_pinned_key (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEsipaClient) client = make_client (f, ESIM_TEST_EIM_TLS_TRUST_SPKI, OTHER_HOST,
	                                                 NULL, &error);

	g_assert_no_error (error);
	assert_polls (f, client);
}

/* trustedCertificateTls holding the eIM's own certificate: pinned likewise. */
static void
test_trust_certificate (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEsipaClient) client = make_client (f, ESIM_TEST_EIM_TLS_TRUST_CERT, OTHER_HOST,
	                                                 NULL, &error);

	g_assert_no_error (error);
	assert_polls (f, client);
}

/* trustedCertificateTls holding a CA: the chain, and the name. */
static void
test_trust_ca (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEsipaClient) client = make_client (f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL, NULL,
	                                                 &error);
	g_autoptr(EsimEsipaClient) other_name = make_client (f, ESIM_TEST_EIM_TLS_TRUST_CA,
	                                                     OTHER_HOST, NULL, &error);

	g_assert_no_error (error);
	assert_polls (f, client);
	assert_refused (f, other_name, "not valid for " OTHER_HOST);
}

/* No trust in the configuration: the administrator's CA file, or nothing at all. */
static void
test_trust_ca_file (EsipaFixture *f, gconstpointer data)
{
	g_autofree gchar *pem = esim_test_eim_dup_tls_ca_pem (f->eim);
	g_autofree gchar *ca_file = g_build_filename (f->dir, "eim-ca.pem", NULL);
	g_autofree gchar *garbage = g_build_filename (f->dir, "garbage.pem", NULL);
	g_autofree gchar *missing = g_build_filename (f->dir, "missing.pem", NULL);
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(EsimEsipaClient) foreign = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true (g_file_set_contents (ca_file, pem, -1, &error));
	g_assert_true (g_file_set_contents (garbage, "not a certificate", -1, &error));
	client = make_client (f, ESIM_TEST_EIM_TLS_TRUST_NONE, NULL, ca_file, &error);
	g_assert_no_error (error);
	assert_polls (f, client);
	/* a CA that did not issue the eIM's certificate (the GSMA test CI) */
	foreign = make_client (f, ESIM_TEST_EIM_TLS_TRUST_NONE, NULL, f->pki->ci_pem, &error);
	g_assert_no_error (error);
	assert_refused (f, foreign, "not issued by an authority in the CA file");

	g_assert_null (make_client (f, ESIM_TEST_EIM_TLS_TRUST_NONE, NULL, garbage, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error (&error);
	g_assert_null (make_client (f, ESIM_TEST_EIM_TLS_TRUST_NONE, NULL, missing, &error));
	g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_assert_nonnull (strstr (error->message, "esim-test-eim"));
}

static void
test_trust_none (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEsipaClient) client = make_client (f, ESIM_TEST_EIM_TLS_TRUST_NONE, NULL, NULL,
	                                                 &error);

	g_assert_null (client);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull (strstr (error->message, "no TLS trust"));
	g_assert_nonnull (strstr (error->message, "eIM esim-test-eim"));
	g_assert_cmpuint (connections (f), ==, 0);
}

/* A pinned key or a certificate the eIM's is not; data that is neither. */
static void
test_trust_wrong (EsipaFixture *f, gconstpointer data)
{
	EsimEsipaClientOptions options = { .binding = f->binding, .timeout = 10, .retry_delay = 1 };
	g_autoptr(EsimEimConfig) config = eim_config (f, ESIM_TEST_EIM_TLS_TRUST_SPKI, NULL);
	g_autoptr(EsimEsipaClient) wrong_pin = NULL;
	g_autoptr(EsimEsipaClient) wrong_cert = NULL;
	g_autoptr(GError) error = NULL;

	/* the eIM's package-signing key is not its TLS key */
	g_bytes_unref (config->trusted_tls);
	config->trusted_tls = g_bytes_ref (esim_test_eim_get_signing_spki (f->eim));
	wrong_pin = esim_esipa_client_new (config, &options, &error);
	g_assert_no_error (error);
	assert_refused (f, wrong_pin, "key is not the key pinned in the eIM configuration");

	config->trusted_tls_kind = ESIM_EIM_KEY_CERTIFICATE;
	g_bytes_unref (config->trusted_tls);
	config->trusted_tls = g_bytes_ref (esim_cert_get_der (f->pki->ci));
	wrong_cert = esim_esipa_client_new (config, &options, &error);
	g_assert_no_error (error);
	assert_refused (f, wrong_cert, "neither the certificate in the eIM configuration");

	g_bytes_unref (config->trusted_tls);
	config->trusted_tls = test_hex ("300100");
	g_assert_null (esim_esipa_client_new (config, &options, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	config->trusted_tls_kind = ESIM_EIM_KEY_PUBLIC_KEY;
	g_assert_null (esim_esipa_client_new (config, &options, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* Configurations the client cannot use. */
static void
test_bad_configuration (EsipaFixture *f, gconstpointer data)
{
	g_autoptr(EsimEimConfig) config = eim_config (f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL);
	EsimEsipaClientOptions options = { .asn1_path = "gsma/rsp2/asn1" };
	g_autoptr(GError) error = NULL;
	EsimEsipaBinding binding;

	g_assert_null (esim_esipa_client_new (config, &options, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	config->supported_protocols = ESIM_EIM_PROTOCOL_RETRIEVE_COAPS;
	g_assert_null (esim_esipa_client_new (config, NULL, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	config->supported_protocols = 0;
	g_clear_pointer (&config->fqdn, g_free);
	g_assert_null (esim_esipa_client_new (config, NULL, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull (strstr (error->message, "eimFqdn"));

	g_assert_true (esim_esipa_binding_from_string ("json", &binding));
	g_assert_cmpint (binding, ==, ESIM_ESIPA_BINDING_JSON);
	g_assert_cmpstr (esim_esipa_binding_to_string (binding), ==, "json");
	g_assert_false (esim_esipa_binding_from_string ("xml", &binding));
}

/* A path of the eIM's own (per-eIM configuration). */
static void
test_custom_path (void)
{
	EsimTestEimOptions eim_options = { .asn1_path = "/esipa", .json_prefix = "/api/esipa/" };
	const TestPki *pki = test_pki_get ();
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(GError) error = NULL;

	eim = esim_test_eim_new (&eim_options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_eim_add_euicc (eim, pki->eid, &error));
	for (guint binding = ESIM_ESIPA_BINDING_ASN1; binding <= ESIM_ESIPA_BINDING_JSON; binding++) {
		EsipaFixture f = { .pki = pki, .eim = eim, .binding = binding };
		EsimEsipaClientOptions options = {
			.binding = binding, .asn1_path = "/esipa", .json_prefix = "/api/esipa/",
		};
		g_autoptr(EsimEimConfig) config = eim_config (&f, ESIM_TEST_EIM_TLS_TRUST_CA, NULL);
		g_autoptr(EsimEsipaClient) client = esim_esipa_client_new (config, &options, &error);

		g_assert_no_error (error);
		assert_polls (&f, client);
	}
}

/* ------------------------------------------------------------------------ */
/* TLS session resumption, seen from a program glib-networking resumes in */

static void
test_resumption (void)
{
	const gchar *probe = g_getenv ("ESIM_ESIPA_RESUME_PROBE");
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	if (probe == NULL) {
		g_test_skip ("ESIM_ESIPA_RESUME_PROBE is not set (run under meson test)");
		return;
	}
	process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
	                            &error, probe, NULL);
	g_assert_no_error (error);
	g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error));
	g_assert_no_error (error);
	g_test_message ("%s%s", out, err);
	if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
		g_error ("esipa-resume-probe failed:\n%s%s", out, err);
	g_assert_nonnull (strstr (out, "second poll: TLS session resumed"));
	g_assert_nonnull (strstr (out, "after the cache was emptied: TLS session resumed"));
}

int
main (int argc, char **argv)
{
	static const struct {
		const gchar *name;
		EsimEsipaBinding binding;
	} bindings[] = {
		{ "asn1", ESIM_ESIPA_BINDING_ASN1 },
		{ "json", ESIM_ESIPA_BINDING_JSON },
	};
	static const struct {
		const gchar *name;
		void (*func) (EsipaFixture *, gconstpointer);
	} per_binding[] = {
		{ "poll-cycle", test_poll_cycle },
		{ "packages-and-results", test_packages_and_results },
		{ "empty-answers", test_empty_answers },
		{ "transfer-response", test_transfer_response },
		{ "relay-refusals", test_relay_refusals },
		{ "eim-errors", test_eim_errors },
		{ "fault/http-500", test_http_500 },
		{ "fault/result-repeated", test_result_repeated },
		{ "fault/no-answer", test_no_answer },
		{ "fault/dropped-connection", test_dropped_connection },
		{ "repeat/unsent", test_repeat_unsent },
	};
	static const struct {
		const gchar *name;
		void (*func) (EsipaFixture *, gconstpointer);
	} once[] = {
		{ "repeat/budget", test_repeat_budget },
		{ "repeat/cancelled", test_cancel_during_delay },
		{ "trust/pinned-key", test_trust_pinned_key },
		{ "trust/certificate", test_trust_certificate },
		{ "trust/ca", test_trust_ca },
		{ "trust/ca-file", test_trust_ca_file },
		{ "trust/none", test_trust_none },
		{ "trust/wrong", test_trust_wrong },
		{ "bad-configuration", test_bad_configuration },
	};
	int ret;

	net_test_init ();
	g_test_init (&argc, &argv, NULL);
	for (guint b = 0; b < G_N_ELEMENTS (bindings); b++) {
		for (guint i = 0; i < G_N_ELEMENTS (per_binding); i++) {
			g_autofree gchar *path = g_strdup_printf ("/net/esipa/%s/%s", bindings[b].name,
			                                          per_binding[i].name);

			g_test_add (path, EsipaFixture, GINT_TO_POINTER (bindings[b].binding),
			            fixture_setup_binding, per_binding[i].func, fixture_teardown_binding);
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS (once); i++) {
		g_autofree gchar *path = g_strdup_printf ("/net/esipa/%s", once[i].name);

		g_test_add (path, EsipaFixture, GINT_TO_POINTER (ESIM_ESIPA_BINDING_ASN1),
		            fixture_setup_binding, once[i].func, fixture_teardown_binding);
	}
	g_test_add_func ("/net/esipa/custom-path", test_custom_path);
	g_test_add_func ("/net/esipa/resumption", test_resumption);
	ret = g_test_run ();
	test_pki_cleanup ();
	return ret;
}
