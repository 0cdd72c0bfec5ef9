/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notification round (src/flows/esim-notify.h) without the daemon: the
 * software eUICC (credentials of a test PKI, notifications it signs) over the
 * virtual channel, and the test SM-DP+ over HTTPS (it records every
 * notification it accepts, and can answer HTTP 500).  The journal is in
 * memory here; the daemon's is its state directory.
 *
 * The facts checked are SGP.22's: handleNotification carries the
 * PendingNotification as the card gave it (§5.6.4; the server verifies the
 * eUICC's signature over it), and the IPA removes a notification from the
 * card only after delivering it (§3.5, RemoveNotificationFromList; SGP.32
 * §3.7 and onomondo-ipa proc_notif_delivery.c, digest §6).
 */

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-ci-store.h"
#include "esim-es10.h"
#include "esim-es10-download.h"
#include "esim-es9p-client.h"
#include "esim-notify.h"
#include "esim-rsp-server.h"
#include "esim-tls-database.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-veuicc.h"
#include "net-test-util.h"

#define HOST         "smdp.test"
#define WAIT_SECONDS 30
#define WAIT(res, what) net_test_wait_result (&(res), WAIT_SECONDS, (what))

/* the demo profiles of a new software eUICC: the first is enabled */
#define ICCID_ENABLED  "8944476500000000013"
#define ICCID_DISABLED "89444765000000000223"

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

/* ---- the journal, in memory ---- */

typedef struct {
	GArray *records;   /* EsimNotifyRecord */
	guint   saves;
	gboolean fail_saves;
} TestJournal;

static GArray *
journal_list (gpointer user_data)
{
	TestJournal *journal = user_data;
	GArray *copy = g_array_new (FALSE, TRUE, sizeof (EsimNotifyRecord));

	g_array_append_vals (copy, journal->records->data, journal->records->len);
	return copy;
}

static EsimNotifyRecord *
journal_find (TestJournal *journal, guint64 seq)
{
	for (guint i = 0; i < journal->records->len; i++) {
		EsimNotifyRecord *record = &g_array_index (journal->records, EsimNotifyRecord, i);

		if (record->seq == seq)
			return record;
	}
	return NULL;
}

static gboolean
journal_forget (gpointer user_data, guint64 seq, GError **error)
{
	TestJournal *journal = user_data;

	for (guint i = 0; i < journal->records->len; i++) {
		if (g_array_index (journal->records, EsimNotifyRecord, i).seq == seq) {
			g_array_remove_index (journal->records, i);
			break;
		}
	}
	return TRUE;
}

static gboolean
journal_save (gpointer user_data, const EsimNotifyRecord *record, GError **error)
{
	TestJournal *journal = user_data;

	journal->saves++;
	if (journal->fail_saves) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full (test)");
		return FALSE;
	}
	journal_forget (journal, record->seq, NULL);
	g_array_append_val (journal->records, *record);
	return TRUE;
}

static const EsimNotifyJournal journal_funcs = {
	journal_list, journal_save, journal_forget,
};

/* ---- the lab: a card in a file, the test SM-DP+ ---- */

typedef struct {
	gchar              *dir;
	gchar              *card_path;
	EsimVeuicc         *card;
	EsimChannelVirtual *channel;
	EsimIsdr           *isdr;
	EsimTestSmdp       *smdp;
	EsimCiStore        *ci_store;
	TestJournal         journal;
} Lab;

static void
lab_open_card (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	g_clear_object (&lab->isdr);
	g_clear_object (&lab->channel);
	g_clear_object (&lab->card);
	lab->card = esim_veuicc_new_from_file (lab->card_path, FALSE, &error);
	g_assert_no_error (error);
	lab->channel = esim_channel_virtual_new (lab->card);
	lab->isdr = esim_isdr_new (ESIM_CHANNEL (lab->channel));
	esim_isdr_open_async (lab->isdr, NULL, net_test_store_result, &res);
	WAIT (res, "opening the ISD-R");
	g_assert_true (esim_isdr_open_finish (lab->isdr, res, &error));
}

/* Rewrites the card's file (the card closed meanwhile): where each demo profile's events
 * are notified (NULL: unchanged), and its [faults] (NULL: none). */
static void
lab_edit_card (Lab *lab, const gchar *address0, const gchar *address1, const gchar *faults)
{
	g_autoptr(GKeyFile) kf = g_key_file_new ();
	g_autoptr(GError) error = NULL;
	const gchar *addresses[] = { address0, address1 };

	g_clear_object (&lab->isdr);
	g_clear_object (&lab->channel);
	g_clear_object (&lab->card);
	g_assert_true (g_key_file_load_from_file (kf, lab->card_path, G_KEY_FILE_KEEP_COMMENTS, &error));
	for (guint i = 0; i < G_N_ELEMENTS (addresses); i++) {
		g_autofree gchar *group = g_strdup_printf ("profile %u", i);

		if (addresses[i] != NULL)
			g_key_file_set_string (kf, group, "notification-address", addresses[i]);
	}
	g_key_file_remove_group (kf, "faults", NULL);
	if (faults != NULL) {
		g_auto(GStrv) pair = g_strsplit (faults, "=", 2);
		g_key_file_set_string (kf, "faults", pair[0], pair[1]);
	}
	g_assert_true (g_key_file_save_to_file (kf, lab->card_path, &error));
	lab_open_card (lab);
}

static void
lab_start (Lab *lab)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = HOST };
	g_autofree gchar *ci_path = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	g_autofree gchar *seed = NULL;
	g_autofree gchar *ci_der = NULL;
	g_autoptr(GBytes) ci = NULL;
	g_autoptr(GError) error = NULL;
	gsize ci_len = 0;

	lab->dir = g_dir_make_tmp ("test-notify-XXXXXX", &error);
	g_assert_no_error (error);
	lab->card_path = g_build_filename (lab->dir, "card.ini", NULL);
	seed = g_strdup_printf ("[card]\ncredentials=%s\n", pki_dir);
	g_assert_true (g_file_set_contents (lab->card_path, seed, -1, &error));
	lab_open_card (lab);

	lab->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (lab->smdp, "127.0.0.1:0", &error));
	/* the CI certificate only: its directory also holds the test CI's secret key */
	lab->ci_store = esim_ci_store_new ();
	g_assert_true (g_file_get_contents (ci_path, &ci_der, &ci_len, &error));
	ci = g_bytes_new (ci_der, ci_len);
	g_assert_true (esim_ci_store_add_certificate (lab->ci_store, ci, ci_path, &error));
	lab->journal.records = g_array_new (FALSE, TRUE, sizeof (EsimNotifyRecord));
	/* every event of both profiles is notified to the test SM-DP+ */
	lab_edit_card (lab, esim_test_smdp_get_address (lab->smdp),
	               esim_test_smdp_get_address (lab->smdp), NULL);
}

static void
lab_stop (Lab *lab)
{
	g_clear_object (&lab->isdr);
	g_clear_object (&lab->channel);
	g_clear_object (&lab->card);
	g_clear_object (&lab->smdp);
	g_clear_object (&lab->ci_store);
	g_clear_pointer (&lab->journal.records, g_array_unref);
	rm_rf (lab->dir);
	g_free (lab->dir);
	g_free (lab->card_path);
}

/* Enables the disabled demo profile: the card notifies the disable of the other one,
 * then the enable (as a card does). */
static void
lab_switch (Lab *lab, const gchar *iccid)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_enable_profile (lab->isdr, iccid, FALSE, NULL, net_test_store_result, &res);
	WAIT (res, "EnableProfile");
	g_assert_true (esim_es10_enable_profile_finish (lab->isdr, res, &error));
	g_assert_no_error (error);
}

/* A profile downloaded from the test SM-DP+ (SGP.22 §3.1.3, the steps of tests/download):
 * the card keeps its signed ProfileInstallationResult as the install notification. */
static void
lab_install (Lab *lab, const gchar *matching_id)
{
	EsimTestSmdpOrder order = { .matching_id = matching_id };
	EsimAuthenticateServerInput auth_input = { 0 };
	EsimPrepareDownloadInput prepare_input = { 0 };
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(EsimEs9pClient) client = NULL;
	g_autoptr(GBytes) challenge = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimAuthenticateServerOk) auth = NULL;
	g_autoptr(EsimAuthenticateClientOk) client_ok = NULL;
	g_autoptr(EsimPrepareDownloadOk) prepared = NULL;
	g_autoptr(EsimBoundProfilePackageOk) package = NULL;
	g_autoptr(EsimProfileInstallationResult) result = NULL;

	g_assert_true (esim_test_smdp_add_order (lab->smdp, &order, &error));
	esim_es10_get_euicc_info1 (lab->isdr, NULL, net_test_store_result, &res);
	WAIT (res, "GetEUICCInfo1");
	info1 = esim_es10_get_euicc_info1_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	database = esim_tls_database_new (lab->ci_store, info1->ci_pkids_verification, NULL);
	client = esim_es9p_client_new (esim_test_smdp_get_address (lab->smdp), database, &error);
	g_assert_no_error (error);

	esim_es10_get_euicc_challenge (lab->isdr, NULL, net_test_store_result, &res);
	WAIT (res, "GetEuiccChallenge");
	challenge = esim_es10_get_euicc_challenge_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esim_rsp_server_initiate_authentication_async (ESIM_RSP_SERVER (client), challenge, info1->raw,
	                                               esim_test_smdp_get_address (lab->smdp), NULL,
	                                               net_test_store_result, &res);
	WAIT (res, "ES9+ initiateAuthentication");
	init = esim_rsp_server_initiate_authentication_finish (ESIM_RSP_SERVER (client), res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);

	auth_input.server_signed1 = init->server_signed1;
	auth_input.server_signature1 = init->server_signature1;
	auth_input.euicc_ci_pkid_to_be_used = init->euicc_ci_pkid_to_be_used;
	auth_input.server_certificate = init->server_certificate;
	auth_input.matching_id = matching_id;
	esim_es10_authenticate_server (lab->isdr, &auth_input, NULL, net_test_store_result, &res);
	WAIT (res, "AuthenticateServer");
	auth = esim_es10_authenticate_server_finish (lab->isdr, res, NULL, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esim_rsp_server_authenticate_client_async (ESIM_RSP_SERVER (client), init->transaction_id,
	                                           auth->raw, NULL, net_test_store_result, &res);
	WAIT (res, "ES9+ authenticateClient");
	client_ok = esim_rsp_server_authenticate_client_finish (ESIM_RSP_SERVER (client), res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);

	prepare_input.smdp_signed2 = client_ok->smdp_signed2;
	prepare_input.smdp_signature2 = client_ok->smdp_signature2;
	prepare_input.smdp_certificate = client_ok->smdp_certificate;
	esim_es10_prepare_download (lab->isdr, &prepare_input, NULL, net_test_store_result, &res);
	WAIT (res, "PrepareDownload");
	prepared = esim_es10_prepare_download_finish (lab->isdr, res, NULL, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esim_rsp_server_get_bound_profile_package_async (ESIM_RSP_SERVER (client),
	                                                 init->transaction_id, prepared->raw, NULL,
	                                                 net_test_store_result, &res);
	WAIT (res, "ES9+ getBoundProfilePackage");
	package = esim_rsp_server_get_bound_profile_package_finish (ESIM_RSP_SERVER (client), res,
	                                                            &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esim_es10_load_bound_profile_package (lab->isdr, package->bound_profile_package, NULL, NULL,
	                                      NULL, net_test_store_result, &res);
	WAIT (res, "LoadBoundProfilePackage");
	result = esim_es10_load_bound_profile_package_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab->smdp, matching_id), ==,
	                 ESIM_TEST_SMDP_ORDER_DOWNLOADED);
}

static EsimNotificationList *
lab_list (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimNotificationList *list;

	esim_es10_retrieve_notifications_list (lab->isdr, ESIM_NOTIFICATION_SEARCH_ALL, 0, NULL,
	                                       net_test_store_result, &res);
	WAIT (res, "RetrieveNotificationsList");
	list = esim_es10_retrieve_notifications_list_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return list;
}

static EsimNotifyResult *
lab_round_full (Lab *lab, gboolean force, GTlsDatabase *system_database, GError **error)
{
	EsimNotifyOptions options = {
		.journal = &journal_funcs,
		.journal_data = &lab->journal,
		.ci_store = lab->ci_store,
		.system_database = system_database,
		.force = force,
	};
	g_autoptr(GAsyncResult) res = NULL;

	esim_notify_round_async (lab->isdr, &options, NULL, net_test_store_result, &res);
	WAIT (res, "the notification round");
	return esim_notify_round_finish (lab->isdr, res, error);
}

static EsimNotifyResult *
lab_round (Lab *lab, gboolean force)
{
	g_autoptr(GError) error = NULL;
	EsimNotifyResult *result = lab_round_full (lab, force, NULL, &error);

	g_assert_no_error (error);
	g_assert_nonnull (result);
	return result;
}

static guint
server_count (Lab *lab)
{
	return esim_test_smdp_get_notifications (lab->smdp)->len;
}

static EsimNotifyItem *
result_item (EsimNotifyResult *result, guint64 seq)
{
	for (guint i = 0; i < result->items->len; i++) {
		EsimNotifyItem *item = g_ptr_array_index (result->items, i);

		if (item->seq == seq)
			return item;
	}
	g_assert_not_reached ();
	return NULL;
}

/* ---- the tests ---- */

/* Both notifications reach the server byte for byte, in seqNumber order, over one
 * connection, and only then leave the card; the journal is left empty. */
static void
test_delivered_then_removed (void)
{
	Lab lab = { 0 };
	g_autoptr(EsimNotificationList) before = NULL;
	g_autoptr(EsimNotificationList) after = NULL;
	g_autoptr(EsimNotifyResult) result = NULL;
	GPtrArray *received;

	lab_start (&lab);
	lab_switch (&lab, ICCID_DISABLED);
	before = lab_list (&lab);
	g_assert_cmpuint (before->notifications->len, ==, 2);

	result = lab_round (&lab, FALSE);
	g_assert_cmpuint (result->delivered, ==, 2);
	g_assert_cmpuint (result->failed, ==, 0);
	g_assert_cmpuint (result->left, ==, 0);
	g_assert_cmpint (result->next_attempt, ==, 0);
	for (guint i = 0; i < result->items->len; i++)
		g_assert_cmpint (((EsimNotifyItem *) g_ptr_array_index (result->items, i))->state, ==,
		                 ESIM_NOTIFY_ITEM_DELIVERED);

	received = esim_test_smdp_get_notifications (lab.smdp);
	g_assert_cmpuint (received->len, ==, 2);
	for (guint i = 0; i < 2; i++) {
		EsimTestSmdpNotification *got = g_ptr_array_index (received, i);
		EsimPendingNotification *sent = g_ptr_array_index (before->notifications, i);

		g_assert_true (g_bytes_equal (got->raw, sent->raw));
		g_assert_true (got->verified);
		g_assert_cmpuint (got->seq_number, ==, sent->meta.seq_number);
	}
	g_assert_cmpuint (((EsimTestSmdpNotification *) g_ptr_array_index (received, 0))->seq_number, <,
	                  ((EsimTestSmdpNotification *) g_ptr_array_index (received, 1))->seq_number);
	/* one request each (libsoup 3.2's server closes after a 204, which has no
	 * Content-Length: keep-alive is checked with the refusing server below) */
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "handleNotification"), ==, 2);

	after = lab_list (&lab);
	g_assert_cmpuint (after->notifications->len, ==, 0);
	g_assert_cmpuint (lab.journal.records->len, ==, 0);
	/* recorded as delivered before each removal */
	g_assert_cmpuint (lab.journal.saves, ==, 2);

	/* nothing left: a second round sends nothing */
	g_clear_pointer (&result, esim_notify_result_free);
	result = lab_round (&lab, TRUE);
	g_assert_cmpuint (result->items->len, ==, 0);
	g_assert_cmpuint (server_count (&lab), ==, 2);
	lab_stop (&lab);
}

/* The install notification (the card's signed ProfileInstallationResult, BF37) reaches
 * the SM-DP+ as it was signed, which then knows the profile installed; then it leaves the
 * card. */
static void
test_install_result_delivered (void)
{
	Lab lab = { 0 };
	g_autoptr(EsimNotificationList) before = NULL;
	g_autoptr(EsimNotificationList) after = NULL;
	g_autoptr(EsimNotifyResult) result = NULL;
	EsimTestSmdpNotification *got;
	EsimPendingNotification *pending;

	lab_start (&lab);
	lab_install (&lab, "MID-NOTIFY");
	before = lab_list (&lab);
	g_assert_cmpuint (before->notifications->len, ==, 1);
	pending = g_ptr_array_index (before->notifications, 0);
	g_assert_cmpuint (pending->meta.events, ==, ESIM_NOTIFICATION_INSTALL);

	result = lab_round (&lab, FALSE);
	g_assert_cmpuint (result->delivered, ==, 1);
	g_assert_cmpuint (result->left, ==, 0);
	g_assert_cmpuint (server_count (&lab), ==, 1);
	got = g_ptr_array_index (esim_test_smdp_get_notifications (lab.smdp), 0);
	g_assert_true (got->installation_result);
	g_assert_true (got->verified);
	g_assert_true (got->success);
	g_assert_true (g_bytes_equal (got->raw, pending->raw));
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-NOTIFY"), ==,
	                 ESIM_TEST_SMDP_ORDER_INSTALLED);
	after = lab_list (&lab);
	g_assert_cmpuint (after->notifications->len, ==, 0);
	lab_stop (&lab);
}

/* HTTP 500: kept on the card with a backoff; not asked again before it is due; sent
 * once the server is back. */
static void
test_server_error_kept_with_backoff (void)
{
	Lab lab = { 0 };
	g_autoptr(EsimNotifyResult) result = NULL;
	g_autoptr(EsimNotificationList) list = NULL;
	gint64 before, after;

	lab_start (&lab);
	lab_switch (&lab, ICCID_DISABLED);
	esim_test_smdp_set_http_error (lab.smdp, "handleNotification", 500);

	before = g_get_real_time () / G_USEC_PER_SEC;
	result = lab_round (&lab, FALSE);
	after = g_get_real_time () / G_USEC_PER_SEC;
	g_assert_cmpuint (result->delivered, ==, 0);
	g_assert_cmpuint (result->failed, ==, 2);
	g_assert_cmpuint (result->left, ==, 2);
	/* the server failed once: its second notification waits for the next round */
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "handleNotification"), ==, 1);
	g_assert_cmpuint (server_count (&lab), ==, 0);
	list = lab_list (&lab);
	g_assert_cmpuint (list->notifications->len, ==, 2);
	g_assert_cmpuint (lab.journal.records->len, ==, 2);
	for (guint i = 0; i < lab.journal.records->len; i++) {
		EsimNotifyRecord *record = &g_array_index (lab.journal.records, EsimNotifyRecord, i);
		EsimNotifyItem *item = result_item (result, record->seq);

		g_assert_false (record->delivered);
		g_assert_cmpuint (record->attempts, ==, 1);
		/* the first delay: 30 s, less up to a quarter */
		g_assert_cmpint (record->next_attempt, >=, before + ESIM_NOTIFY_RETRY_INITIAL_DEFAULT * 3 / 4);
		g_assert_cmpint (record->next_attempt, <=, after + ESIM_NOTIFY_RETRY_INITIAL_DEFAULT);
		g_assert_cmpint (item->state, ==, ESIM_NOTIFY_ITEM_FAILING);
		g_assert_nonnull (item->error);
		g_assert_cmpint (result->next_attempt, <=, record->next_attempt);
	}

	/* not due yet: nothing is sent */
	g_clear_pointer (&result, esim_notify_result_free);
	result = lab_round (&lab, FALSE);
	g_assert_cmpuint (result->deferred, ==, 2);
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "handleNotification"), ==, 1);

	/* a second failure doubles the delay */
	g_clear_pointer (&result, esim_notify_result_free);
	result = lab_round (&lab, TRUE);
	g_assert_cmpuint (result->failed, ==, 2);
	for (guint i = 0; i < lab.journal.records->len; i++) {
		EsimNotifyRecord *record = &g_array_index (lab.journal.records, EsimNotifyRecord, i);

		g_assert_cmpuint (record->attempts, ==, 2);
		g_assert_cmpint (record->next_attempt, >=, before + 2 * ESIM_NOTIFY_RETRY_INITIAL_DEFAULT * 3 / 4);
	}

	/* the server is back: delivered once each */
	esim_test_smdp_set_http_error (lab.smdp, "handleNotification", 0);
	g_clear_pointer (&result, esim_notify_result_free);
	result = lab_round (&lab, TRUE);
	g_assert_cmpuint (result->delivered, ==, 2);
	g_assert_cmpuint (result->left, ==, 0);
	g_assert_cmpuint (server_count (&lab), ==, 2);
	g_assert_cmpuint (lab.journal.records->len, ==, 0);
	lab_stop (&lab);
}

/* esimd died after the server's 204 and before RemoveNotificationFromList (here: the
 * card refused the removal, which leaves the same state): the next round removes it
 * without sending it again. */
static void
test_killed_between_delivery_and_removal (void)
{
	Lab lab = { 0 };
	g_autoptr(EsimNotifyResult) result = NULL;
	g_autoptr(EsimNotificationList) list = NULL;

	lab_start (&lab);
	lab_switch (&lab, ICCID_DISABLED);
	/* RemoveNotificationFromList (BF30) answers 6F00 */
	lab_edit_card (&lab, NULL, NULL, "BF30=6F00");

	result = lab_round (&lab, FALSE);
	g_assert_cmpuint (result->delivered, ==, 2);
	g_assert_cmpuint (result->left, ==, 2);
	g_assert_cmpuint (server_count (&lab), ==, 2);
	g_assert_cmpuint (lab.journal.records->len, ==, 2);
	for (guint i = 0; i < lab.journal.records->len; i++) {
		EsimNotifyRecord *record = &g_array_index (lab.journal.records, EsimNotifyRecord, i);

		g_assert_true (record->delivered);
		g_assert_cmpuint (strlen (record->digest), ==, ESIM_NOTIFY_DIGEST_LEN);
		g_assert_cmpint (result_item (result, record->seq)->state, ==, ESIM_NOTIFY_ITEM_ACCEPTED);
	}

	/* "restart": the card as it is in its file, without the fault */
	lab_edit_card (&lab, NULL, NULL, NULL);
	g_clear_pointer (&result, esim_notify_result_free);
	result = lab_round (&lab, TRUE);
	g_assert_cmpuint (result->delivered, ==, 0);
	g_assert_cmpuint (result->removed, ==, 2);
	g_assert_cmpuint (result->left, ==, 0);
	for (guint i = 0; i < result->items->len; i++)
		g_assert_cmpint (((EsimNotifyItem *) g_ptr_array_index (result->items, i))->state, ==,
		                 ESIM_NOTIFY_ITEM_REMOVED);
	g_assert_cmpuint (server_count (&lab), ==, 2);
	g_assert_cmpuint (esim_test_smdp_get_request_count (lab.smdp, "handleNotification"), ==, 2);
	list = lab_list (&lab);
	g_assert_cmpuint (list->notifications->len, ==, 0);
	g_assert_cmpuint (lab.journal.records->len, ==, 0);
	lab_stop (&lab);
}

/* A record of "delivered" for a sequence number whose notification is not the one
 * recorded (the card was reset and counts again) does not make the new one vanish
 * unsent; a record of a notification the card no longer has is forgotten. */
static void
test_digest_guards_reused_seq (void)
{
	Lab lab = { 0 };
	g_autoptr(EsimNotificationList) list = NULL;
	g_autoptr(EsimNotifyResult) result = NULL;
	EsimNotifyRecord stale = { .delivered = TRUE };
	EsimNotifyRecord gone = { .seq = 9999, .attempts = 3, .next_attempt = 1 };
	EsimPendingNotification *first;

	lab_start (&lab);
	lab_switch (&lab, ICCID_DISABLED);
	list = lab_list (&lab);
	first = g_ptr_array_index (list->notifications, 0);
	stale.seq = first->meta.seq_number;
	memset (stale.digest, 'a', ESIM_NOTIFY_DIGEST_LEN);
	g_array_append_val (lab.journal.records, stale);
	g_array_append_val (lab.journal.records, gone);

	result = lab_round (&lab, FALSE);
	g_assert_cmpuint (result->delivered, ==, 2);
	g_assert_cmpuint (result->removed, ==, 0);
	g_assert_cmpuint (server_count (&lab), ==, 2);
	g_assert_cmpuint (lab.journal.records->len, ==, 0);
	g_assert_null (journal_find (&lab.journal, 9999));
	lab_stop (&lab);
}

/* One address down (nothing listens) does not keep the other from its notification. */
static void
test_two_addresses_one_down (void)
{
	Lab lab = { 0 };
	g_autoptr(GSocketListener) listener = g_socket_listener_new ();
	g_autoptr(EsimNotifyResult) result = NULL;
	g_autoptr(EsimNotificationList) list = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *down = NULL;
	EsimNotifyItem *failed_item;
	guint16 port;

	/* a port nobody listens on */
	port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
	g_assert_no_error (error);
	g_socket_listener_close (listener);
	down = g_strdup_printf ("down.test:%u", port);

	lab_start (&lab);
	/* the enabled profile's events go to the dead address, the other's to the SM-DP+ */
	lab_edit_card (&lab, down, esim_test_smdp_get_address (lab.smdp), NULL);
	lab_switch (&lab, ICCID_DISABLED);
	list = lab_list (&lab);
	g_assert_cmpuint (list->notifications->len, ==, 2);

	result = lab_round (&lab, FALSE);
	g_assert_cmpuint (result->delivered, ==, 1);
	g_assert_cmpuint (result->failed, ==, 1);
	g_assert_cmpuint (result->left, ==, 1);
	g_assert_cmpuint (server_count (&lab), ==, 1);
	g_assert_cmpstr (((EsimTestSmdpNotification *) g_ptr_array_index (
	                 esim_test_smdp_get_notifications (lab.smdp), 0))->iccid, ==, ICCID_DISABLED);
	failed_item = result_item (result, ((EsimPendingNotification *) g_ptr_array_index (
	                           list->notifications, 0))->meta.seq_number);
	g_assert_cmpint (failed_item->state, ==, ESIM_NOTIFY_ITEM_FAILING);
	g_assert_cmpstr (failed_item->address, ==, down);
	g_assert_cmpuint (failed_item->attempts, ==, 1);
	g_assert_cmpuint (lab.journal.records->len, ==, 1);
	g_assert_cmpint (result->next_attempt, ==, failed_item->next_attempt);

	g_clear_pointer (&list, esim_notification_list_free);
	list = lab_list (&lab);
	g_assert_cmpuint (list->notifications->len, ==, 1);
	lab_stop (&lab);
}

/* An SM-DP+ that answers a "Failed" header refuses: retried at the longest delay, never
 * removed, and the server is still asked for the next one, on the same connection. */
typedef struct {
	guint requests;
} RefusingServer;

static void
refusing_handler (NetTestServer *server, SoupServerMessage *msg, const gchar *path,
                  gpointer user_data)
{
	RefusingServer *refusing = user_data;

	refusing->requests++;
	/* SGP.22 §6.5.1.4: a functionExecutionStatus with status Failed, HTTP 200 */
	net_test_respond (msg, 200, "application/json",
	                  "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	                  "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"3.8\","
	                  "\"message\":\"refused by the test\"}}}}");
}

static void
test_refused (void)
{
	Lab lab = { 0 };
	g_autoptr(NetTestCert) ca = net_test_ca_new ("refusing test CA");
	g_autoptr(NetTestCert) cert = net_test_server_cert_new (ca, "refuse.test", -60, 3600);
	g_autoptr(NetTestServer) server = net_test_server_new (cert, ca);
	g_autoptr(GTlsDatabase) system = NULL;
	g_autoptr(EsimNotifyResult) result = NULL;
	g_autoptr(EsimNotificationList) list = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *refusing_address = net_test_server_address (server, "refuse.test");
	g_autofree gchar *ca_dir = NULL;
	g_autofree gchar *ca_file = NULL;
	RefusingServer refusing = { 0 };
	gint64 before;

	net_test_server_set_handler (server, refusing_handler, &refusing);
	lab_start (&lab);
	/* a web-PKI server: trusted through the second source (the system store in esimd) */
	ca_dir = g_build_filename (lab.dir, "system-ca", NULL);
	net_test_write_pem (ca_dir, "ca.pem", ca);
	ca_file = g_build_filename (ca_dir, "ca.pem", NULL);
	system = g_tls_file_database_new (ca_file, &error);
	g_assert_no_error (error);
	lab_edit_card (&lab, refusing_address, refusing_address, NULL);
	lab_switch (&lab, ICCID_DISABLED);

	before = g_get_real_time () / G_USEC_PER_SEC;
	result = lab_round_full (&lab, FALSE, system, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (refusing.requests, ==, 2);
	g_assert_cmpuint (net_test_server_get_connections (server), ==, 1);
	g_assert_cmpuint (result->delivered, ==, 0);
	g_assert_cmpuint (result->failed, ==, 2);
	g_assert_cmpuint (result->left, ==, 2);
	for (guint i = 0; i < result->items->len; i++) {
		EsimNotifyItem *item = g_ptr_array_index (result->items, i);

		g_assert_cmpint (item->state, ==, ESIM_NOTIFY_ITEM_REFUSED);
		g_assert_nonnull (strstr (item->error, "refused by the test"));
		g_assert_cmpint (item->next_attempt, >=, before + ESIM_NOTIFY_RETRY_MAX_DEFAULT);
	}
	list = lab_list (&lab);
	g_assert_cmpuint (list->notifications->len, ==, 2);

	/* without the second trust source, the server's certificate is refused: failing */
	g_clear_pointer (&result, esim_notify_result_free);
	result = lab_round_full (&lab, TRUE, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (refusing.requests, ==, 2);
	g_assert_cmpint (((EsimNotifyItem *) g_ptr_array_index (result->items, 0))->state, ==,
	                 ESIM_NOTIFY_ITEM_FAILING);
	lab_stop (&lab);
}

/* The warning the flow logs for a journal it cannot write is what this test wants. */
static gboolean
journal_warning_is_expected (const gchar *log_domain, GLogLevelFlags log_level,
                             const gchar *message, gpointer user_data)
{
	return strstr (message, "cannot record its state") == NULL;
}

/* A journal that cannot be written does not keep a delivered notification on the card:
 * the server accepted it, and the card must not send it again. */
static void
test_journal_unwritable (void)
{
	Lab lab = { 0 };
	g_autoptr(EsimNotifyResult) result = NULL;
	g_autoptr(EsimNotificationList) list = NULL;

	lab_start (&lab);
	lab_switch (&lab, ICCID_DISABLED);
	lab.journal.fail_saves = TRUE;
	g_test_log_set_fatal_handler (journal_warning_is_expected, NULL);
	result = lab_round (&lab, FALSE);
	g_test_log_set_fatal_handler (NULL, NULL);
	g_assert_cmpuint (result->delivered, ==, 2);
	g_assert_cmpuint (result->left, ==, 0);
	g_assert_cmpuint (lab.journal.saves, ==, 2);
	g_assert_cmpuint (server_count (&lab), ==, 2);
	list = lab_list (&lab);
	g_assert_cmpuint (list->notifications->len, ==, 0);
	lab_stop (&lab);
}

/* The delays: doubling from the first, capped, never more than asked, at most a quarter
 * less. */
static void
test_backoff_delay (void)
{
	for (guint round = 0; round < 200; round++) {
		guint expected = 30;

		for (guint attempts = 1; attempts <= 12; attempts++) {
			guint delay = esim_notify_backoff_delay (attempts, 30, 3600);

			g_assert_cmpuint (delay, <=, expected);
			g_assert_cmpuint (delay, >=, expected - expected / 4);
			expected = MIN (expected * 2, 3600);
		}
	}
	g_assert_cmpuint (esim_notify_backoff_delay (G_MAXUINT, 30, 3600), <=, 3600);
	g_assert_cmpuint (esim_notify_backoff_delay (1, 0, 0), ==, 1);
	g_assert_cmpuint (esim_notify_backoff_delay (40, 1, G_MAXUINT), >, 0);
}

int
main (int argc, char *argv[])
{
	EsimTestPkiOptions options = { .smdp_host = HOST };
	g_autoptr(GError) error = NULL;
	int status;

	net_test_init ();
	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-notify-pki-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);

	g_test_add_func ("/flows/notify/delivered-then-removed", test_delivered_then_removed);
	g_test_add_func ("/flows/notify/install-result-delivered", test_install_result_delivered);
	g_test_add_func ("/flows/notify/server-error-kept-with-backoff",
	                 test_server_error_kept_with_backoff);
	g_test_add_func ("/flows/notify/killed-between-delivery-and-removal",
	                 test_killed_between_delivery_and_removal);
	g_test_add_func ("/flows/notify/digest-guards-reused-seq", test_digest_guards_reused_seq);
	g_test_add_func ("/flows/notify/two-addresses-one-down", test_two_addresses_one_down);
	g_test_add_func ("/flows/notify/refused", test_refused);
	g_test_add_func ("/flows/notify/journal-unwritable", test_journal_unwritable);
	g_test_add_func ("/flows/notify/backoff-delay", test_backoff_delay);
	status = g_test_run ();
	rm_rf (pki_dir);
	g_free (pki_dir);
	return status;
}
