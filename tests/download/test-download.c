/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A profile download end to end, without the daemon: the software eUICC
 * (real cryptography, credentials of a test PKI) over the virtual channel,
 * driven through the ES10 client (src/lib esim-es10-download.h), and the test
 * SM-DP+ over HTTPS through the ES9+ client (src/net EsimEs9pClient, the
 * eUICC's TLS trust).  The steps are SGP.22 §3.1.3's, in the order an IPA
 * takes them (digest §5 "Flow"); the download flow that does them for the
 * daemon (src/flows/esim-download.h) runs here over HTTPS too.  Each refusal
 * is checked where it happens, with the cancel the flow owes after it
 * (SGP.22 §3.1.3: CancelSession on the card, then ES9+ cancelSession with
 * the card's signed answer), and nothing installed.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-ci-store.h"
#include "esim-download.h"
#include "esim-es10-download.h"
#include "esim-es9p-client.h"
#include "esim-rsp-server.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-tls-database.h"
#include "esim-util.h"
#include "esim-veuicc.h"
#include "net-test-util.h"

#define HOST         "smdp.test"
#define WAIT_SECONDS 30

static gchar *pki_dir;

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

/* Waits for the result an async call stores; fails naming @what after WAIT_SECONDS. */
#define WAIT(res, what) net_test_wait_result (&(res), WAIT_SECONDS, (what))

typedef struct {
	EsimVeuicc         *card;
	EsimChannelVirtual *channel;
	EsimIsdr           *isdr;
	EsimTestSmdp       *smdp;
	EsimEs9pClient     *client;
} Lab;

static void
lab_open_card (Lab *lab, guint max_profiles)
{
	EsimVeuiccOptions options = { .credentials_dir = pki_dir, .max_profiles = max_profiles };
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	lab->card = esim_veuicc_new_ephemeral_full (&options, &error);
	g_assert_no_error (error);
	lab->channel = esim_channel_virtual_new (lab->card);
	lab->isdr = esim_isdr_new (ESIM_CHANNEL (lab->channel));
	esim_isdr_open_async (lab->isdr, NULL, net_test_store_result, &res);
	WAIT (res, "opening the ISD-R");
	g_assert_true (esim_isdr_open_finish (lab->isdr, res, &error));
}

static EsimEuiccInfo1 *
get_info1 (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimEuiccInfo1 *info1;

	esim_es10_get_euicc_info1 (lab->isdr, NULL, net_test_store_result, &res);
	WAIT (res, "GetEUICCInfo1");
	info1 = esim_es10_get_euicc_info1_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return info1;
}

/* The SM-DP+ on 127.0.0.1 as smdp.test (the suite's resolver), and a client that trusts
 * the CIs the card lists, from the PKI's CI certificate (as esimd is configured). */
static void
lab_start (Lab *lab, const gchar *tls_set, const gchar *client_host)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = HOST, .tls_set = tls_set };
	g_autofree gchar *ci_path = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	g_autofree gchar *ci_der = NULL;
	gsize ci_len = 0;
	g_autoptr(GBytes) ci = NULL;
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = NULL;

	lab_open_card (lab, 0);
	lab->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (lab->smdp, "127.0.0.1:0", &error));
	g_assert_no_error (error);
	/* the CI certificate only: its directory also holds the test CI's secret key */
	g_assert_true (g_file_get_contents (ci_path, &ci_der, &ci_len, &error));
	ci = g_bytes_new (ci_der, ci_len);
	g_assert_true (esim_ci_store_add_certificate (store, ci, ci_path, &error));
	info1 = get_info1 (lab);
	database = esim_tls_database_new (store, info1->ci_pkids_verification, NULL);
	address = g_strdup_printf ("%s:%u", client_host != NULL ? client_host : HOST,
	                           esim_test_smdp_get_port (lab->smdp));
	lab->client = esim_es9p_client_new (address, database, &error);
	g_assert_no_error (error);
}

static void
lab_stop (Lab *lab)
{
	g_clear_object (&lab->client);
	g_clear_object (&lab->smdp);
	g_clear_object (&lab->isdr);
	g_clear_object (&lab->channel);
	g_clear_object (&lab->card);
}

static void
add_order (Lab *lab, const EsimTestSmdpOrder *order)
{
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_test_smdp_add_order (lab->smdp, order, &error));
	g_assert_no_error (error);
}

static guint
n_profiles (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;

	esim_es10_get_profiles_info (lab->isdr, NULL, NULL, net_test_store_result, &res);
	WAIT (res, "GetProfilesInfo");
	profiles = esim_es10_get_profiles_info_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return profiles->len;
}

/* ---- the steps of a download ---------------------------------------------------------------- */

typedef enum {
	STOP_NONE,
	STOP_AUTHENTICATE_SERVER,  /* the card refused AuthenticateServer */
	STOP_GET_PACKAGE,          /* the SM-DP+ refused or the connection broke */
	STOP_INITIATE,             /* initiateAuthentication failed */
} Stop;

typedef struct {
	const gchar *matching_id;
	const gchar *confirmation_code;   /* what the user typed; NULL: none */
	/* filled in */
	Stop         stopped_at;
	GError      *error;               /* why it stopped */
	gchar       *transaction_id;
	EsimProfileInstallationResult *result;
	EsimCancelSessionOk *cancelled;   /* the card's signed cancel, sent to the SM-DP+ */
	GError      *cancel_error;        /* the SM-DP+'s answer to it */
} Download;

static void
download_clear (Download *d)
{
	g_clear_error (&d->error);
	g_clear_error (&d->cancel_error);
	g_free (d->transaction_id);
	g_clear_pointer (&d->result, esim_profile_installation_result_free);
	g_clear_pointer (&d->cancelled, esim_cancel_session_ok_free);
}

/* CancelSession on the card, then ES9+ cancelSession with its signed answer. */
static void
cancel_both (Lab *lab, Download *d, EsimCancelSessionReason reason)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_cancel_session (lab->isdr, d->transaction_id, reason, NULL, net_test_store_result, &res);
	WAIT (res, "CancelSession");
	d->cancelled = esim_es10_cancel_session_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (d->cancelled->transaction_id, ==, d->transaction_id);
	g_assert_cmpint (d->cancelled->reason, ==, reason);
	g_assert_cmpstr (d->cancelled->smdp_oid, ==, esim_test_smdp_get_oid (lab->smdp));
	esim_rsp_server_cancel_session_async (ESIM_RSP_SERVER (lab->client), d->transaction_id,
	                                      d->cancelled->raw, NULL, net_test_store_result, &res2);
	WAIT (res2, "ES9+ cancelSession");
	esim_rsp_server_cancel_session_finish (ESIM_RSP_SERVER (lab->client), res2, &d->cancel_error);
}

/* Authentication: GetEuiccChallenge, GetEUICCInfo1, initiateAuthentication, the IPA's
 * checks of ServerSigned1, AuthenticateServer, authenticateClient. */
static EsimAuthenticateClientOk *
authenticate (Lab *lab, Download *d)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) challenge = NULL;
	g_autoptr(EsimEuiccInfo1) info1 = get_info1 (lab);
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimServerSigned1) signed1 = NULL;
	g_autoptr(EsimAuthenticateServerOk) auth = NULL;
	g_autoptr(GBytes) card_error = NULL;
	g_autoptr(GError) error = NULL;
	EsimAuthenticateServerInput input = { 0 };
	EsimAuthenticateClientOk *client_ok;

	esim_es10_get_euicc_challenge (lab->isdr, NULL, net_test_store_result, &res);
	WAIT (res, "GetEuiccChallenge");
	challenge = esim_es10_get_euicc_challenge_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	/* the address of the activation code: the one the client was made for */
	esim_rsp_server_initiate_authentication_async (ESIM_RSP_SERVER (lab->client), challenge, info1->raw,
	                                               esim_es9p_client_get_address (lab->client), NULL,
	                                               net_test_store_result, &res);
	WAIT (res, "ES9+ initiateAuthentication");
	init = esim_rsp_server_initiate_authentication_finish (ESIM_RSP_SERVER (lab->client), res, &d->error);
	if (init == NULL) {
		d->stopped_at = STOP_INITIATE;
		return NULL;
	}
	g_clear_object (&res);
	d->transaction_id = g_strdup (init->transaction_id);
	signed1 = esim_es10_parse_server_signed1 (init->server_signed1, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (signed1->euicc_challenge, challenge));
	g_assert_cmpstr (signed1->server_address, ==, esim_test_smdp_get_address (lab->smdp));

	input.server_signed1 = init->server_signed1;
	input.server_signature1 = init->server_signature1;
	input.euicc_ci_pkid_to_be_used = init->euicc_ci_pkid_to_be_used;
	input.server_certificate = init->server_certificate;
	input.matching_id = d->matching_id;
	esim_es10_authenticate_server (lab->isdr, &input, NULL, net_test_store_result, &res);
	WAIT (res, "AuthenticateServer");
	auth = esim_es10_authenticate_server_finish (lab->isdr, res, &card_error, &d->error);
	g_clear_object (&res);
	if (auth == NULL) {
		/* the SM-DP+ hears of it in authenticateClient (pySim osmo-smdpp) and refuses */
		g_autoptr(GError) server_error = NULL;
		g_autoptr(EsimAuthenticateClientOk) refused = NULL;

		g_assert_nonnull (card_error);
		d->stopped_at = STOP_AUTHENTICATE_SERVER;
		esim_rsp_server_authenticate_client_async (ESIM_RSP_SERVER (lab->client), d->transaction_id,
		                                           card_error, NULL, net_test_store_result, &res);
		WAIT (res, "ES9+ authenticateClient with the card's error");
		refused = esim_rsp_server_authenticate_client_finish (ESIM_RSP_SERVER (lab->client), res,
		                                                      &server_error);
		g_assert_null (refused);
		g_assert_error (server_error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
		return NULL;
	}
	g_assert_cmpstr (auth->transaction_id, ==, d->transaction_id);
	esim_rsp_server_authenticate_client_async (ESIM_RSP_SERVER (lab->client), d->transaction_id, auth->raw,
	                                           NULL, net_test_store_result, &res);
	WAIT (res, "ES9+ authenticateClient");
	client_ok = esim_rsp_server_authenticate_client_finish (ESIM_RSP_SERVER (lab->client), res, &error);
	g_assert_no_error (error);
	return client_ok;
}

/* The whole download as an IPA runs it; where it stops, d says why. */
static void
run_download (Lab *lab, Download *d)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(EsimAuthenticateClientOk) client_ok = NULL;
	g_autoptr(EsimSmdpSigned2) signed2 = NULL;
	g_autoptr(EsimProfileMetadata) metadata = NULL;
	g_autoptr(EsimPrepareDownloadOk) prepared = NULL;
	g_autoptr(EsimBoundProfilePackageOk) package = NULL;
	g_autoptr(GBytes) hash_cc = NULL;
	g_autoptr(GBytes) card_error = NULL;
	g_autoptr(GError) error = NULL;
	EsimPrepareDownloadInput input = { 0 };

	client_ok = authenticate (lab, d);
	if (client_ok == NULL)
		return;
	metadata = esim_es10_parse_profile_metadata (client_ok->profile_metadata, &error);
	g_assert_no_error (error);
	signed2 = esim_es10_parse_smdp_signed2 (client_ok->smdp_signed2, &error);
	g_assert_no_error (error);
	if (signed2->cc_required) {
		g_assert_nonnull (d->confirmation_code);
		hash_cc = esim_es10_compute_hash_cc (d->confirmation_code, d->transaction_id, &error);
		g_assert_no_error (error);
	}
	input.smdp_signed2 = client_ok->smdp_signed2;
	input.smdp_signature2 = client_ok->smdp_signature2;
	input.hash_cc = hash_cc;
	input.smdp_certificate = client_ok->smdp_certificate;
	esim_es10_prepare_download (lab->isdr, &input, NULL, net_test_store_result, &res);
	WAIT (res, "PrepareDownload");
	prepared = esim_es10_prepare_download_finish (lab->isdr, res, &card_error, &error);
	g_assert_no_error (error);
	g_clear_object (&res);

	esim_rsp_server_get_bound_profile_package_async (ESIM_RSP_SERVER (lab->client), d->transaction_id,
	                                                 prepared->raw, NULL, net_test_store_result, &res);
	WAIT (res, "ES9+ getBoundProfilePackage");
	package = esim_rsp_server_get_bound_profile_package_finish (ESIM_RSP_SERVER (lab->client), res, &d->error);
	g_clear_object (&res);
	if (package == NULL) {
		d->stopped_at = STOP_GET_PACKAGE;
		/* SGP.22 §3.1.3: after AuthenticateServer every failure is cancelled on both sides */
		cancel_both (lab, d, g_error_matches (d->error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED) ?
		                     ESIM_CANCEL_SESSION_END_USER_REJECTION : ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR);
		return;
	}
	esim_es10_load_bound_profile_package (lab->isdr, package->bound_profile_package, NULL, NULL, NULL,
	                                      net_test_store_result, &res);
	WAIT (res, "LoadBoundProfilePackage");
	d->result = esim_es10_load_bound_profile_package_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	/* the result goes to where its metadata says (the SM-DP+), success or not */
	g_assert_cmpstr (d->result->meta.address, ==, esim_test_smdp_get_address (lab->smdp));
	esim_es9p_client_handle_notification_async (lab->client, d->result->raw, NULL, net_test_store_result, &res);
	WAIT (res, "ES9+ handleNotification");
	g_assert_true (esim_es9p_client_handle_notification_finish (lab->client, res, &error));
	g_assert_no_error (error);
}

static EsimTestSmdpNotification *
last_notification (Lab *lab)
{
	GPtrArray *notifications = esim_test_smdp_get_notifications (lab->smdp);

	g_assert_cmpuint (notifications->len, >, 0);
	return g_ptr_array_index (notifications, notifications->len - 1);
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* Installed, the result verified by the SM-DP+, the notification removed after delivery,
 * over one HTTPS connection. */
static void
check_installed (Lab *lab, Download *d, const gchar *matching_id)
{
	EsimTestSmdpNotification *record = last_notification (lab);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimNotificationList) list = NULL;

	g_assert_no_error (d->error);
	g_assert_nonnull (d->result);
	g_assert_true (esim_profile_installation_result_check (d->result, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (d->result->meta.iccid, ==, esim_test_smdp_get_order_iccid (lab->smdp, matching_id));
	g_assert_cmpuint (n_profiles (lab), ==, 3);
	g_assert_true (record->installation_result);
	g_assert_true (record->verified);
	g_assert_true (record->success);
	g_assert_true (g_bytes_equal (record->raw, d->result->raw));
	g_assert_cmpint (esim_test_smdp_get_order_state (lab->smdp, matching_id), ==, ESIM_TEST_SMDP_ORDER_INSTALLED);
	/* delivered: the IPA removes it from the card */
	esim_es10_remove_notification (lab->isdr, d->result->meta.seq_number, NULL, net_test_store_result, &res);
	WAIT (res, "RemoveNotificationFromList");
	g_assert_true (esim_es10_remove_notification_finish (lab->isdr, res, &error));
	g_clear_object (&res);
	esim_es10_retrieve_notifications_list (lab->isdr, ESIM_NOTIFICATION_SEARCH_ALL, 0, NULL,
	                                       net_test_store_result, &res);
	WAIT (res, "RetrieveNotificationsList");
	list = esim_es10_retrieve_notifications_list_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->notifications->len, ==, 0);
	/* goal 1: one keep-alive connection for the whole download */
	g_assert_cmpuint (esim_test_smdp_get_connection_count (lab->smdp), ==, 1);
}

static void
test_download (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-1", .profile_name = "Lab profile" };
	Download d = { .matching_id = "MID-1" };
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	run_download (&lab, &d);
	check_installed (&lab, &d, "MID-1");
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "getBoundProfilePackage"), ==, 1);
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_confirmation_code (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	Download d = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	run_download (&lab, &d);
	check_installed (&lab, &d, "MID-CC");
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_protected_in_advance (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-PPP", .protect_in_advance = TRUE, .profile_size = 20000 };
	Download d = { .matching_id = "MID-PPP" };
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	run_download (&lab, &d);
	check_installed (&lab, &d, "MID-PPP");
	download_clear (&d);
	lab_stop (&lab);
}

/* The card refuses the SM-DP+ at AuthenticateServer: nothing to cancel on the card. */
static void
check_refused_by_card (guint fault, const gchar *code_name)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-R" };
	Download d = { .matching_id = "MID-R" };
	gint expected = fault == ESIM_TEST_SMDP_FAULT_FOREIGN_CI ? ESIM_ES10_ERROR_CERTIFICATE :
	                                                         ESIM_ES10_ERROR_VERIFICATION_FAILED;
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	esim_test_smdp_set_faults (lab.smdp, fault);
	run_download (&lab, &d);
	g_assert_cmpint (d.stopped_at, ==, STOP_AUTHENTICATE_SERVER);
	g_assert_error (d.error, ESIM_ES10_ERROR, expected);
	g_assert_nonnull (strstr (d.error->message, code_name));
	g_assert_cmpuint (n_profiles (&lab), ==, 2);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-R"), ==, ESIM_TEST_SMDP_ORDER_RELEASED);
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_foreign_ci (void)
{
	check_refused_by_card (ESIM_TEST_SMDP_FAULT_FOREIGN_CI, "ciPKUnknown");
}

static void
test_bad_server_signature (void)
{
	check_refused_by_card (ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE, "invalidSignature");
}

/* A wrong confirmation code: the SM-DP+ refuses the package, both sides cancel. */
static void
test_wrong_confirmation_code (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	Download d = { .matching_id = "MID-CC", .confirmation_code = "0000" };
	Download retry = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	EsimTestSmdpCancelled *cancelled;
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	run_download (&lab, &d);
	g_assert_cmpint (d.stopped_at, ==, STOP_GET_PACKAGE);
	g_assert_error (d.error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
	g_assert_nonnull (strstr (d.error->message, "8.2.7"));
	g_assert_no_error (d.cancel_error);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (lab.smdp)->len, ==, 1);
	cancelled = g_ptr_array_index (esim_test_smdp_get_cancelled (lab.smdp), 0);
	g_assert_cmpstr (cancelled->transaction_id, ==, d.transaction_id);
	g_assert_true (cancelled->verified);
	g_assert_cmpint (cancelled->reason, ==, ESIM_CANCEL_SESSION_END_USER_REJECTION);
	g_assert_cmpuint (n_profiles (&lab), ==, 2);
	/* the right code, in a new session */
	run_download (&lab, &retry);
	g_assert_no_error (retry.error);
	g_assert_true (retry.result->success);
	g_assert_cmpuint (n_profiles (&lab), ==, 3);
	download_clear (&d);
	download_clear (&retry);
	lab_stop (&lab);
}

/* The package tampered with after its MAC: the card finds it, installs nothing, and its
 * (error) result still reaches the SM-DP+. */
static void
test_tampered_package (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-T" };
	Download d = { .matching_id = "MID-T" };
	EsimTestSmdpNotification *record;
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	esim_test_smdp_set_faults (lab.smdp, ESIM_TEST_SMDP_FAULT_TAMPER_BPP);
	run_download (&lab, &d);
	g_assert_no_error (d.error);
	g_assert_nonnull (d.result);
	g_assert_false (d.result->success);
	g_assert_cmpint (d.result->bpp_command_id, ==, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS);
	g_assert_cmpint (d.result->error_reason, ==, 8);   /* scp03tSecurityError */
	g_assert_cmpuint (n_profiles (&lab), ==, 2);
	record = last_notification (&lab);
	g_assert_true (record->verified);
	g_assert_false (record->success);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-T"), ==, ESIM_TEST_SMDP_ORDER_RELEASED);
	download_clear (&d);
	lab_stop (&lab);
}

/* The connection drops in the middle of the package: both sides cancel (over a new
 * connection), nothing installed. */
static void
test_dropped_connection (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-D" };
	Download d = { .matching_id = "MID-D" };
	EsimTestSmdpCancelled *cancelled;
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	esim_test_smdp_set_faults (lab.smdp, ESIM_TEST_SMDP_FAULT_DROP_CONNECTION);
	run_download (&lab, &d);
	g_assert_cmpint (d.stopped_at, ==, STOP_GET_PACKAGE);
	g_assert_error (d.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_no_error (d.cancel_error);
	cancelled = g_ptr_array_index (esim_test_smdp_get_cancelled (lab.smdp), 0);
	g_assert_cmpint (cancelled->reason, ==, ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR);
	g_assert_true (cancelled->verified);
	g_assert_cmpuint (n_profiles (&lab), ==, 2);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-D"), ==, ESIM_TEST_SMDP_ORDER_RELEASED);
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_http_500 (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-5" };
	Download d = { .matching_id = "MID-5" };
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	esim_test_smdp_set_http_error (lab.smdp, "initiateAuthentication", 500);
	run_download (&lab, &d);
	g_assert_cmpint (d.stopped_at, ==, STOP_INITIATE);
	g_assert_error (d.error, G_IO_ERROR, G_IO_ERROR_FAILED);
	download_clear (&d);
	lab_stop (&lab);
}

/* TLS refusals: an expired DPtls, one of a CI the card does not list, another name. */
static void
check_tls_refused (const gchar *tls_set, const gchar *client_host)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-TLS" };
	Download d = { .matching_id = "MID-TLS" };
	Lab lab = { 0 };

	lab_start (&lab, tls_set, client_host);
	add_order (&lab, &order);
	run_download (&lab, &d);
	g_assert_cmpint (d.stopped_at, ==, STOP_INITIATE);
	g_assert_error (d.error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "initiateAuthentication"), ==, 0);
	download_clear (&d);
	lab_stop (&lab);
}

static void
test_tls (void)
{
	check_tls_refused ("Expired", NULL);
	check_tls_refused ("ForeignCI", NULL);
	check_tls_refused (NULL, "other.test");
}

/* ---- the same through the download flow (src/flows/esim-download.h) -------------------------- */

/* The flow over HTTPS as the daemon runs it: @lab's client is the EsimRspServer. */
static EsimDownloadResult *
run_flow (Lab *lab, const gchar *matching_id, const gchar *confirmation_code,
          EsimDownloadFailure *failure, GError **error)
{
	EsimDownloadParams params = {
		.smdp_address = esim_es9p_client_get_address (lab->client),
		.matching_id = matching_id,
		.confirmation_code = confirmation_code,
	};
	g_autoptr(GAsyncResult) res = NULL;

	esim_download_async (lab->isdr, ESIM_RSP_SERVER (lab->client), &params, NULL, NULL, NULL,
	                     net_test_store_result, &res);
	WAIT (res, "the download flow");
	return esim_download_finish (res, failure, error);
}

static void
test_flow (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-F", .confirmation_code = "1234" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	result = run_flow (&lab, "MID-F", "1234", NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (result->iccid, ==, esim_test_smdp_get_order_iccid (lab.smdp, "MID-F"));
	g_assert_cmpuint (n_profiles (&lab), ==, 3);
	/* goal 1: one keep-alive HTTPS connection for the whole download */
	g_assert_cmpuint (esim_test_smdp_get_connection_count (lab.smdp), ==, 1);
	/* the install notification is left on the card for delivery */
	g_assert_cmpuint (esim_test_smdp_get_notifications (lab.smdp)->len, ==, 0);
	lab_stop (&lab);
}

/* The connection drops in the middle of the package: the flow cancels on both sides over a
 * new connection, nothing installed. */
static void
test_flow_dropped_connection (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-FD" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;
	EsimTestSmdpCancelled *cancelled;
	Lab lab = { 0 };

	lab_start (&lab, NULL, NULL);
	add_order (&lab, &order);
	esim_test_smdp_set_faults (lab.smdp, ESIM_TEST_SMDP_FAULT_DROP_CONNECTION);
	result = run_flow (&lab, "MID-FD", NULL, &failure, &error);
	g_assert_null (result);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_cmpint (failure.step, ==, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE);
	g_assert_true (failure.card_cancelled);
	g_assert_true (failure.server_told);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (lab.smdp)->len, ==, 1);
	cancelled = g_ptr_array_index (esim_test_smdp_get_cancelled (lab.smdp), 0);
	g_assert_true (cancelled->verified);
	g_assert_cmpint (cancelled->reason, ==, ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR);
	g_assert_cmpuint (n_profiles (&lab), ==, 2);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-FD"), ==, ESIM_TEST_SMDP_ORDER_RELEASED);
	lab_stop (&lab);
}

/* A DPtls for another name: refused before any request, nothing to cancel. */
static void
test_flow_tls_name (void)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-FT" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;
	Lab lab = { 0 };

	lab_start (&lab, NULL, "other.test");
	add_order (&lab, &order);
	result = run_flow (&lab, "MID-FT", NULL, &failure, &error);
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_cmpint (failure.step, ==, ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION);
	g_assert_cmpint (failure.cancel_reason, ==, -1);
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "initiateAuthentication"), ==, 0);
	lab_stop (&lab);
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions options = { .smdp_host = HOST, .expired = TRUE, .foreign_ci = TRUE };
	g_autoptr(GError) error = NULL;
	int ret;

	net_test_init ();
	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-download-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);

	g_test_add_func ("/download/full", test_download);
	g_test_add_func ("/download/confirmation-code", test_confirmation_code);
	g_test_add_func ("/download/protected-in-advance", test_protected_in_advance);
	g_test_add_func ("/download/refused/foreign-ci", test_foreign_ci);
	g_test_add_func ("/download/refused/bad-server-signature", test_bad_server_signature);
	g_test_add_func ("/download/refused/wrong-confirmation-code", test_wrong_confirmation_code);
	g_test_add_func ("/download/refused/tampered-package", test_tampered_package);
	g_test_add_func ("/download/refused/dropped-connection", test_dropped_connection);
	g_test_add_func ("/download/refused/http-500", test_http_500);
	g_test_add_func ("/download/refused/tls", test_tls);
	g_test_add_func ("/download/flow/full", test_flow);
	g_test_add_func ("/download/flow/dropped-connection", test_flow_dropped_connection);
	g_test_add_func ("/download/flow/tls-name", test_flow_tls_name);
	ret = g_test_run ();
	rm_rf (pki_dir);
	return ret;
}
