/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An indirect profile download (SGP.32 §3.2.3.2) end to end, without the
 * daemon: the eIM orders it (profileDownloadTriggerRequest), the IPA runs the
 * SGP.22 §3.1.3 steps with the software eUICC through the ES10 client, and
 * the SM-DP+ is reached through the eIM (EsimEsipaClient's relay, an
 * EsimRspServer), which forwards to the test SM-DP+ over ES9+.  The steps are
 * tests/download's, with the relay in the SM-DP+'s place, as the download
 * flow (src/flows/esim-download.c) will run them unchanged.  Both bindings;
 * the eIM finding its order by eimTransactionId and, without one, by the
 * connection (onomondo-eim's way: esipa_asn1_handler.erl work_pickup); a
 * refusal cancelled on both sides through the relay.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-activation-code.h"
#include "esim-channel-virtual.h"
#include "esim-es10-download.h"
#include "esim-esipa-client.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-veuicc.h"
#include "net-test-util.h"
#include "test-eim-util.h"

#define SMDP_HOST    "smdp.test"
#define WAIT_SECONDS 30

#define WAIT(res, what) test_wait (&(res), WAIT_SECONDS, (what))

static gchar *pki_dir;

typedef enum {
	ORDER_BY_TRANSACTION_ID,   /* the relay sends the trigger's eimTransactionId */
	ORDER_BY_CONNECTION,       /* it sends none: the eIM knows the connection */
} OrderBy;

typedef struct {
	EsimEsipaBinding    binding;
	EsimVeuicc         *card;
	EsimChannelVirtual *channel;
	EsimIsdr           *isdr;
	gchar              *eid;
	EsimTestSmdp       *smdp;
	EsimTestEim        *eim;
	GTlsDatabase       *smdp_trust;
	EsimEsipaClient    *client;
} Lab;

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

static EsimCert *
load_ci (void)
{
	g_autofree gchar *path = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der",
	                                           NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *ci = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return ci;
}

static void
lab_start (Lab *lab, EsimEsipaBinding binding)
{
	EsimVeuiccOptions card_options = { .credentials_dir = pki_dir };
	EsimTestSmdpOptions smdp_options = { .pki_dir = pki_dir, .host = SMDP_HOST };
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_CA };
	EsimEsipaClientOptions client_options = { .binding = binding, .timeout = 20 };
	g_autofree gchar *ci_pem = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.pem",
	                                             NULL);
	g_autoptr(GPtrArray) cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	g_autoptr(GBytes) config_der = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	lab->binding = binding;
	lab->card = esim_veuicc_new_ephemeral_full (&card_options, &error);
	g_assert_no_error (error);
	lab->channel = esim_channel_virtual_new (lab->card);
	lab->isdr = esim_isdr_new (ESIM_CHANNEL (lab->channel));
	esim_isdr_open_async (lab->isdr, NULL, test_store_result, &res);
	WAIT (res, "opening the ISD-R");
	g_assert_true (esim_isdr_open_finish (lab->isdr, res, &error));
	lab->eid = g_strdup (esim_veuicc_get_eid (lab->card));

	lab->smdp = esim_test_smdp_new (&smdp_options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (lab->smdp, "127.0.0.1:0", &error));

	/* the eIM trusts the SM-DP+'s TLS through the test CI and knows the card */
	lab->eim = esim_test_eim_new (NULL, &error);
	g_assert_no_error (error);
	g_ptr_array_add (cis, load_ci ());
	esim_test_eim_set_ci_certificates (lab->eim, cis);
	g_assert_true (esim_test_eim_add_euicc (lab->eim, lab->eid, &error));
	lab->smdp_trust = g_tls_file_database_new (ci_pem, &error);
	g_assert_no_error (error);
	esim_test_eim_set_smdp_trust (lab->eim, lab->smdp_trust);

	/* the IPA reaches the eIM as its configuration says */
	config_der = esim_test_eim_build_configuration (lab->eim, &config_options, &error);
	g_assert_no_error (error);
	config = esim_es10_parse_eim_config (g_bytes_get_data (config_der, NULL),
	                                     g_bytes_get_size (config_der), &error);
	g_assert_no_error (error);
	g_assert_true (config->indirect_profile_download);
	lab->client = esim_esipa_client_new (config, &client_options, &error);
	g_assert_no_error (error);
}

static void
lab_stop (Lab *lab)
{
	g_clear_object (&lab->client);
	g_clear_object (&lab->eim);
	g_clear_object (&lab->smdp_trust);
	g_clear_object (&lab->smdp);
	g_clear_object (&lab->isdr);
	g_clear_object (&lab->channel);
	g_clear_object (&lab->card);
	g_clear_pointer (&lab->eid, g_free);
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static guint
n_profiles (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;

	esim_es10_get_profiles_info (lab->isdr, NULL, NULL, test_store_result, &res);
	WAIT (res, "GetProfilesInfo");
	profiles = esim_es10_get_profiles_info_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return profiles->len;
}

/* The eIM's order: a profileDownloadTriggerRequest with the SM-DP+'s
 * activation code (without the "LPA:" scheme), fetched by GetEimPackage. */
static EsimEimPackage *
fetch_trigger (Lab *lab, const gchar *matching_id)
{
	EsimGetEimPackageRequest request = { .eid = lab->eid, .state_change_cause = -1 };
	g_autofree gchar *activation_code = esim_test_smdp_get_activation_code (lab->smdp, matching_id);
	const gchar *code = activation_code;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimPackage *package;

	if (g_str_has_prefix (code, "LPA:"))
		code += 4;
	esim_test_eim_queue (lab->eim, lab->eid, esim_test_eim_package_new_download (code));
	esim_esipa_client_get_eim_package_async (lab->client, &request, NULL, test_store_result, &res);
	WAIT (res, "GetEimPackage");
	package = esim_esipa_client_get_eim_package_finish (lab->client, res, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER);
	g_assert_cmpint (package->profile_download_trigger->kind, ==, ESIM_DOWNLOAD_TRIGGER_ACTIVATION_CODE);
	g_assert_nonnull (package->profile_download_trigger->eim_transaction_id);
	return package;
}

typedef struct {
	const gchar *confirmation_code;   /* what the user typed; NULL: none */
	/* filled in */
	gchar       *transaction_id;
	gchar       *matching_id;         /* the one the eIM gave */
	GError      *error;               /* where it stopped */
	GError      *cancel_error;        /* the eIM's answer to the cancel */
	EsimProfileInstallationResult *result;
} Download;

static void
download_clear (Download *d)
{
	g_free (d->transaction_id);
	g_free (d->matching_id);
	g_clear_error (&d->error);
	g_clear_error (&d->cancel_error);
	g_clear_pointer (&d->result, esim_profile_installation_result_free);
}

/* Authentication through the relay; the matchingId for the card is the one
 * the eIM supplies in InitiateAuthentication, else the activation code's, and
 * ctxParams1 the eIM's when it generates them (eimCtxParams1Generation). */
static EsimAuthenticateClientOk *
authenticate (Lab *lab, EsimRspServer *server, const EsimActivationCode *code, Download *d)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) challenge = NULL;
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimServerSigned1) signed1 = NULL;
	g_autoptr(EsimAuthenticateServerOk) auth = NULL;
	g_autoptr(GError) error = NULL;
	EsimAuthenticateServerInput input = { 0 };
	EsimAuthenticateClientOk *client_ok;

	esim_es10_get_euicc_challenge (lab->isdr, NULL, test_store_result, &res);
	WAIT (res, "GetEuiccChallenge");
	challenge = esim_es10_get_euicc_challenge_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esim_es10_get_euicc_info1 (lab->isdr, NULL, test_store_result, &res);
	WAIT (res, "GetEUICCInfo1");
	info1 = esim_es10_get_euicc_info1_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);

	esim_rsp_server_initiate_authentication_async (server, challenge, info1->raw, code->smdp_address, NULL,
	                                               test_store_result, &res);
	WAIT (res, "InitiateAuthentication through the eIM");
	init = esim_rsp_server_initiate_authentication_finish (server, res, &d->error);
	if (init == NULL)
		return NULL;
	g_clear_object (&res);
	d->transaction_id = g_strdup (init->transaction_id);
	d->matching_id = g_strdup (init->matching_id);
	signed1 = esim_es10_parse_server_signed1 (init->server_signed1, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (signed1->euicc_challenge, challenge));
	g_assert_cmpstr (signed1->server_address, ==, esim_test_smdp_get_address (lab->smdp));

	input.server_signed1 = init->server_signed1;
	input.server_signature1 = init->server_signature1;
	input.euicc_ci_pkid_to_be_used = init->euicc_ci_pkid_to_be_used;
	input.server_certificate = init->server_certificate;
	input.matching_id = init->matching_id != NULL ? init->matching_id : code->matching_id;
	input.ctx_params1 = init->ctx_params1;   /* the eIM's, when it makes them */
	esim_es10_authenticate_server (lab->isdr, &input, NULL, test_store_result, &res);
	WAIT (res, "AuthenticateServer");
	auth = esim_es10_authenticate_server_finish (lab->isdr, res, NULL, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esim_rsp_server_authenticate_client_async (server, d->transaction_id, auth->raw, NULL,
	                                           test_store_result, &res);
	WAIT (res, "AuthenticateClient through the eIM");
	client_ok = esim_rsp_server_authenticate_client_finish (server, res, &d->error);
	return client_ok;
}

/* CancelSession on the card, then through the eIM with its signed answer. */
static void
cancel_both (Lab *lab, EsimRspServer *server, Download *d)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(EsimCancelSessionOk) cancelled = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_cancel_session (lab->isdr, d->transaction_id, ESIM_CANCEL_SESSION_END_USER_REJECTION, NULL,
	                          test_store_result, &res);
	WAIT (res, "CancelSession on the card");
	cancelled = esim_es10_cancel_session_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	esim_rsp_server_cancel_session_async (server, d->transaction_id, cancelled->raw, NULL, test_store_result,
	                                      &res2);
	WAIT (res2, "CancelSession through the eIM");
	esim_rsp_server_cancel_session_finish (server, res2, &d->cancel_error);
}

/* The download as the IPA runs it for an eIM's trigger (@package). */
static void
run_download (Lab *lab, const EsimEimPackage *package, OrderBy order_by, Download *d)
{
	const EsimProfileDownloadTrigger *trigger = package->profile_download_trigger;
	g_autoptr(EsimActivationCode) code = NULL;
	g_autoptr(EsimRspServer) server = NULL;
	g_autoptr(EsimAuthenticateClientOk) client_ok = NULL;
	g_autoptr(EsimSmdpSigned2) signed2 = NULL;
	g_autoptr(EsimPrepareDownloadOk) prepared = NULL;
	g_autoptr(EsimBoundProfilePackageOk) bpp = NULL;
	g_autoptr(GBytes) hash_cc = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimPrepareDownloadInput input = { 0 };

	code = esim_activation_code_parse (trigger->activation_code, &error);
	g_assert_no_error (error);
	server = esim_esipa_client_new_relay (lab->client, order_by == ORDER_BY_TRANSACTION_ID ?
	                                                   trigger->eim_transaction_id : NULL);
	client_ok = authenticate (lab, server, code, d);
	if (client_ok == NULL)
		return;
	g_assert_false (client_ok->from_smds);
	signed2 = esim_es10_parse_smdp_signed2 (client_ok->smdp_signed2, &error);
	g_assert_no_error (error);
	if (signed2->cc_required) {
		hash_cc = esim_es10_compute_hash_cc (d->confirmation_code, d->transaction_id, &error);
		g_assert_no_error (error);
	}
	input.smdp_signed2 = client_ok->smdp_signed2;
	input.smdp_signature2 = client_ok->smdp_signature2;
	input.hash_cc = hash_cc;
	input.smdp_certificate = client_ok->smdp_certificate;
	esim_es10_prepare_download (lab->isdr, &input, NULL, test_store_result, &res);
	WAIT (res, "PrepareDownload");
	prepared = esim_es10_prepare_download_finish (lab->isdr, res, NULL, &error);
	g_assert_no_error (error);
	g_clear_object (&res);

	esim_rsp_server_get_bound_profile_package_async (server, d->transaction_id, prepared->raw, NULL,
	                                                 test_store_result, &res);
	WAIT (res, "GetBoundProfilePackage through the eIM");
	bpp = esim_rsp_server_get_bound_profile_package_finish (server, res, &d->error);
	g_clear_object (&res);
	if (bpp == NULL) {
		cancel_both (lab, server, d);
		return;
	}
	esim_es10_load_bound_profile_package (lab->isdr, bpp->bound_profile_package, NULL, NULL, NULL,
	                                      test_store_result, &res);
	WAIT (res, "LoadBoundProfilePackage");
	d->result = esim_es10_load_bound_profile_package_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
}

/* The result goes back as the trigger's result; the eIM acknowledges the
 * installation result's sequence number. */
static void
provide_result (Lab *lab, const EsimEimPackage *package, Download *d)
{
	g_autoptr(GBytes) bf54 = NULL;
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER };

	bf54 = esim_esipa_build_download_trigger_result (package->profile_download_trigger->eim_transaction_id,
	                                                 d->result->raw, &error);
	g_assert_no_error (error);
	result.profile_download_trigger_result = bf54;
	esim_esipa_client_provide_eim_package_result_async (lab->client, lab->eid, &result, NULL,
	                                                    test_store_result, &res);
	WAIT (res, "ProvideEimPackageResult");
	response = esim_esipa_client_provide_eim_package_result_finish (lab->client, res, NULL, &error);
	g_assert_no_error (error);
	if (response->kind == ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS)
		g_assert_cmpuint (g_array_index (response->acknowledgements, guint64, 0), ==,
		                  d->result->meta.seq_number);
}

static void
check_download (EsimEsipaBinding binding, OrderBy order_by)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-RELAY", .profile_name = "Relayed profile" };
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;
	EsimTestEimCounters counters;
	const EsimTestEimRecord *record;
	GPtrArray *records;
	Download d = { 0 };
	Lab lab = { 0 };

	lab_start (&lab, binding);
	g_assert_true (esim_test_smdp_add_order (lab.smdp, &order, &error));
	package = fetch_trigger (&lab, "MID-RELAY");
	run_download (&lab, package, order_by, &d);
	g_assert_no_error (d.error);
	g_assert_nonnull (d.result);
	g_assert_true (d.result->success);
	/* the eIM gave the order's matchingId (onomondo-eim's handle_asn1 does) */
	g_assert_cmpstr (d.matching_id, ==, "MID-RELAY");
	g_assert_cmpuint (n_profiles (&lab), ==, 3);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-RELAY"), ==, ESIM_TEST_SMDP_ORDER_DOWNLOADED);
	provide_result (&lab, package, &d);
	/* the eIM forwards the installation result to the SM-DP+ (onomondo-eim
	 * does): it arrives, and the order is done */
	test_wait_count (&esim_test_smdp_get_notifications (lab.smdp)->len, 1, WAIT_SECONDS,
	                 "the installation result at the SM-DP+");
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-RELAY"), ==, ESIM_TEST_SMDP_ORDER_INSTALLED);

	records = esim_test_eim_get_records (lab.eim, lab.eid);
	g_assert_cmpuint (records->len, ==, 1);
	record = g_ptr_array_index (records, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT);
	g_assert_cmpint (record->binding, ==, (gint) binding);
	for (guint i = 3; i <= 5; i++)
		g_assert_cmpuint (esim_test_eim_get_relayed (lab.eim, 1u << i), ==, 1);
	/* one connection from GetEimPackage to the acknowledgement */
	esim_test_eim_get_counters (lab.eim, &counters);
	g_assert_cmpuint (counters.connections, ==, 1);
	g_assert_cmpuint (counters.requests, ==, 5);
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_download_asn1 (void)
{
	check_download (ESIM_ESIPA_BINDING_ASN1, ORDER_BY_TRANSACTION_ID);
}

static void
test_download_json (void)
{
	check_download (ESIM_ESIPA_BINDING_JSON, ORDER_BY_TRANSACTION_ID);
}

/* No eimTransactionId in InitiateAuthentication: the eIM takes the last order
 * of the EID that fetched a package on this connection. */
static void
test_download_by_connection (void)
{
	check_download (ESIM_ESIPA_BINDING_ASN1, ORDER_BY_CONNECTION);
}

/* A wrong confirmation code: the SM-DP+ refuses the package, the eIM passes
 * the refusal on with its code, and the cancel goes through the eIM to the
 * SM-DP+, which verifies the card's signature on it. */
static void
check_refused (EsimEsipaBinding binding)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;
	EsimTestSmdpCancelled *cancelled;
	Download d = { .confirmation_code = "0000" };
	Lab lab = { 0 };

	lab_start (&lab, binding);
	g_assert_true (esim_test_smdp_add_order (lab.smdp, &order, &error));
	package = fetch_trigger (&lab, "MID-CC");
	run_download (&lab, package, ORDER_BY_TRANSACTION_ID, &d);
	g_assert_error (d.error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	if (binding == ESIM_ESIPA_BINDING_ASN1)
		g_assert_cmpstr (d.error->message, ==, "GetBoundProfilePackage: confirmationCodeRefused (3)");
	g_assert_null (d.result);
	g_assert_no_error (d.cancel_error);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (lab.smdp)->len, ==, 1);
	cancelled = g_ptr_array_index (esim_test_smdp_get_cancelled (lab.smdp), 0);
	g_assert_cmpstr (cancelled->transaction_id, ==, d.transaction_id);
	g_assert_true (cancelled->verified);
	g_assert_cmpint (cancelled->reason, ==, ESIM_CANCEL_SESSION_END_USER_REJECTION);
	g_assert_cmpuint (esim_test_eim_get_relayed (lab.eim, ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION), ==, 1);
	g_assert_cmpuint (n_profiles (&lab), ==, 2);
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_refused_asn1 (void)
{
	check_refused (ESIM_ESIPA_BINDING_ASN1);
}

static void
test_refused_json (void)
{
	check_refused (ESIM_ESIPA_BINDING_JSON);
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions options = { .smdp_host = SMDP_HOST };
	g_autoptr(GError) error = NULL;
	int ret;

	net_test_init ();
	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-esipa-relay-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);

	g_test_add_func ("/net/esipa-relay/download/asn1", test_download_asn1);
	g_test_add_func ("/net/esipa-relay/download/json", test_download_json);
	g_test_add_func ("/net/esipa-relay/download/by-connection", test_download_by_connection);
	g_test_add_func ("/net/esipa-relay/refused/asn1", test_refused_asn1);
	g_test_add_func ("/net/esipa-relay/refused/json", test_refused_json);
	ret = g_test_run ();
	rm_rf (pki_dir);
	return ret;
}
