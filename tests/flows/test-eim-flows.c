/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eIM flows (src/flows/esim-eim-package.c, esim-poll-cycle.c) end to end
 * without the daemon: the software eUICC through the ES10 client over the
 * virtual channel, the test eIM over real TLS in this process (both ESipa
 * bindings), and the test SM-DP+ for downloads (relayed by the eIM, or
 * reached directly over ES9+).  What the eIM received is read from its
 * records (it checks the card's signatures itself); what is left on the card
 * is read from the card.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-der.h"
#include "esim-es10-iot.h"
#include "esim-es9p-client.h"
#include "esim-poll-cycle.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-veuicc.h"
#include "net-test-util.h"
#include "test-eim-util.h"

#define SMDP_HOST      "smdp.test"
#define WAIT_SECONDS   30
#define ENABLED_ICCID  "8944476500000000013"     /* the demo card's */
#define DISABLED_ICCID "89444765000000000223"

#define WAIT(res, what) test_wait (&(res), WAIT_SECONDS, (what))

static gchar *pki_dir;

typedef struct {
	gchar   *key;
	GBytes  *encoded;
} JournalEntry;

typedef struct {
	EsimEsipaBinding    binding;
	EsimVeuicc         *card;
	EsimChannelVirtual *channel;
	EsimIsdr           *isdr;
	gchar              *eid;
	EsimTestSmdp       *smdp;
	EsimTestEim        *eim;
	GTlsDatabase       *smdp_trust;
	EsimEimConfig      *config;
	EsimEsipaClient    *client;
	EsimEimPackageEnv   env;
	EsimPollJournal     journal;
	GPtrArray          *journal_entries;  /* JournalEntry*, oldest first */
	guint               journal_saves;
	EsimPollCycleOptions options;
	EsimPollCache       cache;
} Lab;

/* ---- an in-memory journal, as the daemon's state directory would be ---- */

static void
journal_entry_free (JournalEntry *entry)
{
	g_free (entry->key);
	g_bytes_unref (entry->encoded);
	g_free (entry);
}

static GPtrArray *
journal_list (gpointer user_data, const gchar *eim_id)
{
	Lab *lab = user_data;
	GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

	g_assert_cmpstr (eim_id, ==, esim_test_eim_get_id (lab->eim));
	for (guint i = 0; i < lab->journal_entries->len; i++) {
		JournalEntry *entry = g_ptr_array_index (lab->journal_entries, i);

		g_ptr_array_add (list, g_bytes_ref (entry->encoded));
	}
	return list;
}

static gboolean
journal_save (gpointer user_data, const gchar *eim_id, const gchar *key, GBytes *encoded, GError **error)
{
	Lab *lab = user_data;
	JournalEntry *entry = g_new0 (JournalEntry, 1);
	g_autofree gchar *expected = esim_poll_journal_key (encoded);

	g_assert_cmpstr (key, ==, expected);
	entry->key = g_strdup (key);
	entry->encoded = g_bytes_ref (encoded);
	g_ptr_array_add (lab->journal_entries, entry);
	lab->journal_saves++;
	return TRUE;
}

static gboolean
journal_forget (gpointer user_data, const gchar *eim_id, const gchar *key, GError **error)
{
	Lab *lab = user_data;

	for (guint i = 0; i < lab->journal_entries->len; i++) {
		JournalEntry *entry = g_ptr_array_index (lab->journal_entries, i);

		if (g_strcmp0 (entry->key, key) == 0) {
			g_ptr_array_remove_index (lab->journal_entries, i);
			return TRUE;
		}
	}
	return TRUE;
}

/* ---- the lab ---- */

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
load_cert (const gchar *dir, const gchar *file)
{
	g_autofree gchar *path = g_build_filename (pki_dir, dir, file, NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

/* ES9+ to the SM-DP+ with the test CI as the trust: the daemon's direct route. */
static EsimRspServer *
new_smdp_server (const gchar *address, gpointer user_data, GError **error)
{
	Lab *lab = user_data;

	return (EsimRspServer *) esim_es9p_client_new (address, lab->smdp_trust, error);
}

static void
add_initial_eim (Lab *lab, GBytes *bf57)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GArray) results = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_add_initial_eim (lab->isdr, bf57, NULL, test_store_result, &res);
	WAIT (res, "AddInitialEim");
	results = esim_es10_add_initial_eim_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (results->len, ==, 1);
}

typedef struct {
	EsimEsipaBinding binding;
	gboolean         no_indirect;   /* the eIM's configuration leaves indirectProfileDownload out */
	guint            attempts;      /* the client's; 0: 3 */
} LabOptions;

static void
lab_start (Lab *lab, const LabOptions *options)
{
	EsimVeuiccOptions card_options = { .credentials_dir = pki_dir };
	EsimTestSmdpOptions smdp_options = { .pki_dir = pki_dir, .host = SMDP_HOST };
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_CA };
	EsimEsipaClientOptions client_options = { .timeout = 20, .retry_delay = 1 };
	g_autofree gchar *ci_pem = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.pem",
	                                             NULL);
	g_autoptr(GPtrArray) cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	g_autoptr(EsimCert) euicc_cert = NULL;
	g_autoptr(GBytes) config_der = NULL;
	g_autoptr(GBytes) bf57 = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	memset (lab, 0, sizeof (*lab));
	lab->binding = options->binding;
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
	lab->smdp_trust = g_tls_file_database_new (ci_pem, &error);
	g_assert_no_error (error);

	/* the eIM knows the card (its certificate verifies the results) and
	 * relays to the SM-DP+ */
	lab->eim = esim_test_eim_new (NULL, &error);
	g_assert_no_error (error);
	g_ptr_array_add (cis, load_cert ("CertificateIssuer", "CERT_CI_ECDSA_NIST.der"));
	esim_test_eim_set_ci_certificates (lab->eim, cis);
	g_assert_true (esim_test_eim_add_euicc (lab->eim, lab->eid, &error));
	euicc_cert = load_cert ("eUICC", "CERT_EUICC_ECDSA_NIST.der");
	g_assert_true (esim_test_eim_set_euicc_certificate (lab->eim, lab->eid, euicc_cert, &error));
	esim_test_eim_set_smdp_trust (lab->eim, lab->smdp_trust);
	/* what reaches the eIM is what these tests check (a forward still in its
	 * TLS handshake no longer blocks the SM-DP+'s teardown: test-server-teardown) */
	esim_test_eim_set_forward_notifications (lab->eim, FALSE);

	/* the card gets the eIM (AddInitialEim), the IPA reaches it as the card lists it */
	config_options.no_indirect_download = options->no_indirect;
	bf57 = esim_test_eim_build_add_initial_eim (lab->eim, &config_options, &error);
	g_assert_no_error (error);
	add_initial_eim (lab, bf57);
	config_der = esim_test_eim_build_configuration (lab->eim, &config_options, &error);
	g_assert_no_error (error);
	lab->config = esim_es10_parse_eim_config (g_bytes_get_data (config_der, NULL),
	                                          g_bytes_get_size (config_der), &error);
	g_assert_no_error (error);
	client_options.binding = options->binding;
	client_options.attempts = options->attempts;
	lab->client = esim_esipa_client_new (lab->config, &client_options, &error);
	g_assert_no_error (error);

	lab->env.new_smdp_server = new_smdp_server;
	lab->env.new_smdp_data = lab;
	lab->journal.list = journal_list;
	lab->journal.save = journal_save;
	lab->journal.forget = journal_forget;
	lab->journal_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) journal_entry_free);
	lab->options.client = lab->client;
	lab->options.env = &lab->env;
	lab->options.journal = &lab->journal;
	lab->options.journal_data = lab;
	lab->options.state_change_cause = -1;
}

static void
lab_start_simple (Lab *lab, EsimEsipaBinding binding)
{
	LabOptions options = { .binding = binding };

	lab_start (lab, &options);
}

static void
lab_stop (Lab *lab)
{
	/* the clients first (the IPA's, then the eIM with its relay), and let
	 * the main loop close what they cancelled, then the SM-DP+ they talk to;
	 * the SM-DP+ would not hang on a half-done handshake anyway
	 * (esim-test-server-guard.c) */
	g_clear_object (&lab->client);
	g_clear_pointer (&lab->config, esim_eim_config_free);
	g_clear_object (&lab->eim);
	while (g_main_context_iteration (NULL, FALSE))
		;
	g_clear_object (&lab->smdp_trust);
	g_clear_object (&lab->smdp);
	g_clear_object (&lab->isdr);
	g_clear_object (&lab->channel);
	g_clear_object (&lab->card);
	g_clear_pointer (&lab->eid, g_free);
	g_clear_pointer (&lab->journal_entries, g_ptr_array_unref);
	esim_poll_cache_clear (&lab->cache);
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static EsimEsipaBinding
binding_of (gconstpointer data)
{
	return GPOINTER_TO_INT (data) == 0 ? ESIM_ESIPA_BINDING_ASN1 : ESIM_ESIPA_BINDING_JSON;
}

/* One poll cycle; the report, or NULL with @error. */
static EsimPollReport *
run_cycle (Lab *lab, GCancellable *cancellable, EsimPollReport **partial, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;
	EsimPollReport *report;

	esim_poll_cycle_async (lab->isdr, &lab->options, &lab->cache, cancellable, test_store_result, &res);
	WAIT (res, "the poll cycle");
	report = esim_poll_cycle_finish (res, error);
	if (partial != NULL)
		*partial = esim_poll_cycle_dup_report (res);
	return report;
}

static EsimPollReport *
cycle_ok (Lab *lab)
{
	g_autoptr(GError) error = NULL;
	EsimPollReport *report = run_cycle (lab, NULL, NULL, &error);

	g_assert_no_error (error);
	g_assert_nonnull (report);
	return report;
}

/* ---- what the card holds ---- */

static EsimNotificationList *
card_list (Lab *lab, EsimNotificationSearch search)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	EsimNotificationList *list;

	esim_es10_retrieve_notifications_list (lab->isdr, search, 0, NULL, test_store_result, &res);
	WAIT (res, "RetrieveNotificationsList");
	list = esim_es10_retrieve_notifications_list_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return list;
}

static guint
card_results (Lab *lab)
{
	g_autoptr(EsimNotificationList) list = card_list (lab, ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS);

	return list->package_results != NULL ? list->package_results->len : 0;
}

static guint
card_notifications (Lab *lab)
{
	g_autoptr(EsimNotificationList) list = card_list (lab, ESIM_NOTIFICATION_SEARCH_ALL);

	return list->notifications != NULL ? list->notifications->len : 0;
}

static GPtrArray *
card_profiles (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GPtrArray *profiles;

	esim_es10_get_profiles_info (lab->isdr, NULL, NULL, test_store_result, &res);
	WAIT (res, "GetProfilesInfo");
	profiles = esim_es10_get_profiles_info_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return profiles;
}

static gboolean
profile_enabled (Lab *lab, const gchar *iccid)
{
	g_autoptr(GPtrArray) profiles = card_profiles (lab);

	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);

		if (g_strcmp0 (info->iccid, iccid) == 0)
			return info->state == ESIM_PROFILE_STATE_ENABLED;
	}
	g_assert_not_reached ();
}

static guint
card_eims (Lab *lab)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) configs = NULL;

	esim_es10_get_eim_configuration_data (lab->isdr, NULL, NULL, test_store_result, &res);
	WAIT (res, "GetEimConfigurationData");
	configs = esim_es10_get_eim_configuration_data_finish (lab->isdr, res, &error);
	g_assert_no_error (error);
	return configs->len;
}

/* ---- what the eIM holds ---- */

static GPtrArray *
records (Lab *lab)
{
	return esim_test_eim_get_records (lab->eim, lab->eid);
}

static const EsimTestEimRecord *
record_at (Lab *lab, guint i)
{
	GPtrArray *all = records (lab);

	g_assert_cmpuint (all->len, >, i);
	return g_ptr_array_index (all, i);
}

static guint
n_records_of (Lab *lab, EsimTestEimRecordKind kind)
{
	GPtrArray *all = records (lab);
	guint n = 0;

	for (guint i = 0; i < all->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (all, i);

		if (record->kind == kind)
			n++;
	}
	return n;
}

static void
assert_no_duplicates (Lab *lab)
{
	GPtrArray *all = records (lab);

	for (guint i = 0; i < all->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (all, i);

		if (record->problems != NULL)
			g_error ("record %u (%s): %s", i, record->summary, record->problems);
		g_assert_false (record->duplicate);
	}
}

static EsimTestEimPackage *
psmo_package (void)
{
	return esim_test_eim_package_new_psmos ();
}

/* ---- PSMOs ---- */

static void
test_psmo_enable (gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(EsimPollReport) second = NULL;
	g_autoptr(GError) error = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	g_assert_true (esim_test_eim_package_add_enable (package, DISABLED_ICCID, FALSE, &error));
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 1);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_true (report->enabled_profile_changed);
	g_assert_false (report->rollback_allowed);
	/* a switch ends the cycle: the daemon polls again on the new profile */
	g_assert_true (report->more);
	g_assert_true (report->changed & ESIM_EIM_PACKAGE_CHANGED_PROFILES);
	g_assert_true (profile_enabled (&lab, DISABLED_ICCID));
	g_assert_false (profile_enabled (&lab, ENABLED_ICCID));

	/* the notifications the switch queued first (the card numbered them
	 * first), then the result */
	g_assert_cmpuint (report->notifications_delivered, >=, 1);
	g_assert_cmpuint (n_records_of (&lab, ESIM_TEST_EIM_RECORD_NOTIFICATION), ==, report->notifications_delivered);
	record = record_at (&lab, report->notifications_delivered);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_cmpint (record->binding, ==, (gint) binding_of (data));
	g_assert_nonnull (strstr (record->summary, "enable"));
	g_assert_true (record->acknowledged);
	/* acknowledged or delivered: gone from the card */
	g_assert_cmpuint (card_results (&lab), ==, 0);
	g_assert_cmpuint (card_notifications (&lab), ==, 0);

	/* the next cycle has nothing left to deliver */
	second = cycle_ok (&lab);
	g_assert_cmpuint (second->packages, ==, 0);
	g_assert_cmpuint (second->notifications_delivered + second->results_delivered, ==, 0);
	assert_no_duplicates (&lab);
	lab_stop (&lab);
}

static void
test_psmo_disable_delete (gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) disable = psmo_package ();
	g_autoptr(EsimTestEimPackage) delete = psmo_package ();
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	g_assert_true (esim_test_eim_package_add_delete (delete, DISABLED_ICCID, &error));
	g_assert_true (esim_test_eim_package_add_disable (disable, ENABLED_ICCID, &error));
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&delete));
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&disable));
	report = cycle_ok (&lab);
	/* the delete, then the disable (a switch: the cycle stops there) */
	g_assert_cmpuint (report->packages, ==, 2);
	g_assert_cmpuint (report->results_delivered, ==, 2);
	g_assert_true (report->enabled_profile_changed);
	profiles = card_profiles (&lab);
	g_assert_cmpuint (profiles->len, ==, 1);
	g_assert_false (profile_enabled (&lab, ENABLED_ICCID));
	g_assert_cmpuint (n_records_of (&lab, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT), ==, 2);
	g_assert_cmpuint (card_notifications (&lab), ==, 0);
	g_assert_cmpuint (card_results (&lab), ==, 0);
	assert_no_duplicates (&lab);
	lab_stop (&lab);
}

static void
test_psmo_list_profile_info (gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	g_autoptr(EsimPollReport) report = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 1);
	g_assert_false (report->enabled_profile_changed);
	g_assert_false (report->more);
	record = record_at (&lab, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_nonnull (strstr (record->summary, "listProfileInfo"));
	g_assert_nonnull (strstr (record->summary, "2"));
	g_assert_cmpuint (card_results (&lab), ==, 0);
	lab_stop (&lab);
}

/* enable with rollbackFlag, no connectivity after: ProfileRollback, whose
 * result the next cycle finds on the card and delivers. */
static void
test_psmo_rollback (void)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(EsimPollReport) after = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	g_assert_true (esim_test_eim_package_add_enable (package, DISABLED_ICCID, TRUE, &error));
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	/* the enable's result does not reach the eIM: the new profile has no connectivity */
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS,
	                                                        .functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	                                                        .value = 503 });
	report = run_cycle (&lab, NULL, NULL, &error);
	g_assert_nonnull (error);
	g_assert_null (report);
	g_clear_error (&error);
	report = NULL;
	g_assert_true (profile_enabled (&lab, DISABLED_ICCID));

	esim_poll_cycle_rollback_async (lab.isdr, &lab.options, &lab.cache, NULL, test_store_result, &res);
	WAIT (res, "the rollback");
	g_assert_true (esim_poll_cycle_rollback_finish (res, &error));
	g_assert_no_error (error);
	g_assert_true (profile_enabled (&lab, ENABLED_ICCID));
	g_assert_false (lab.cache.pending_known);

	esim_test_eim_clear_faults (lab.eim);
	after = cycle_ok (&lab);
	g_assert_cmpuint (after->results_delivered, >=, 1);
	/* the rollback's result (it replaced the enable's), after its notifications */
	g_assert_nonnull (strstr (record_at (&lab, records (&lab)->len - 1)->summary, "rollback"));
	g_assert_cmpuint (n_records_of (&lab, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT), ==, 1);
	assert_no_duplicates (&lab);
	g_assert_cmpuint (card_results (&lab), ==, 0);
	lab_stop (&lab);
}

/* ---- eCOs ---- */

static void
test_eco_add_delete (gconstpointer data)
{
	EsimTestEimOptions second_options = { .eim_id = "second-eim" };
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_CA };
	g_autoptr(EsimTestEimPackage) add = esim_test_eim_package_new_ecos ();
	g_autoptr(EsimTestEimPackage) del = esim_test_eim_package_new_ecos ();
	g_autoptr(EsimTestEim) second = NULL;
	g_autoptr(GBytes) second_config = NULL;
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GError) error = NULL;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	second = esim_test_eim_new (&second_options, &error);
	g_assert_no_error (error);
	second_config = esim_test_eim_build_configuration (second, &config_options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_eim_package_add_add_eim (add, second_config, &error));
	esim_test_eim_package_add_delete_eim (del, "second-eim");
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&add));
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 1);
	g_assert_true (report->changed & ESIM_EIM_PACKAGE_CHANGED_EIMS);
	g_assert_cmpuint (card_eims (&lab), ==, 2);
	g_assert_nonnull (strstr (record_at (&lab, 0)->summary, "addEim"));
	g_clear_pointer (&report, esim_poll_report_free);

	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&del));
	report = cycle_ok (&lab);
	g_assert_true (report->changed & ESIM_EIM_PACKAGE_CHANGED_EIMS);
	g_assert_cmpuint (card_eims (&lab), ==, 1);
	g_assert_nonnull (strstr (record_at (&lab, 1)->summary, "deleteEim"));
	g_assert_cmpuint (card_results (&lab), ==, 0);
	assert_no_duplicates (&lab);
	lab_stop (&lab);
}

/* ---- ipaEuiccDataRequest ---- */

/* The tags directly under BF52 { A0 { … } } */
static GArray *
data_tags (GBytes *bf52)
{
	GArray *tags = g_array_new (FALSE, FALSE, sizeof (EsimTag));
	EsimTlv top, choice, field;
	EsimTlvIter iter;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bf52, NULL), g_bytes_get_size (bf52), &top, NULL));
	g_assert_true (esim_tlv_parse_exact (top.value, top.len, &choice, NULL));
	g_assert_cmphex (choice.tag, ==, 0xA0);
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &field, NULL))
		g_array_append_val (tags, field.tag);
	return tags;
}

static void
test_data_every_tag (gconstpointer data)
{
	/* every IpaEuiccData member of the v1.2 module (digest §3.3) */
	static const guint8 tag_list[] = { 0xA0, 0x81, 0xA2, 0xBF, 0x20, 0xBF, 0x22, 0x83, 0x84, 0xA5,
	                                   0xA6, 0x87, 0xA8, 0xA9 };
	static const EsimTag always[] = { 0xA0, 0xA2, 0xBF20, 0xBF22, 0xA5, 0xA6, 0x87, 0xA8, 0xA9 };
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GArray) tags = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_data_request (tag_list, sizeof (tag_list)));
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 1);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	record = record_at (&lab, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA);
	g_assert_null (record->problems);
	tags = data_tags (record->tlv);
	/* what the card or the IPA always has; 81/83/84 only when the card has them */
	for (guint i = 0; i < G_N_ELEMENTS (always); i++) {
		gboolean found = FALSE;

		for (guint j = 0; j < tags->len; j++)
			found |= g_array_index (tags, EsimTag, j) == always[i];
		if (!found)
			g_error ("IpaEuiccData lacks tag %X (summary: %s)", always[i], record->summary);
	}
	/* journalled before it went, forgotten after */
	g_assert_cmpuint (lab.journal_saves, ==, 1);
	g_assert_cmpuint (lab.journal_entries->len, ==, 0);
	lab_stop (&lab);
}

/* Tags v1.2's IpaEuiccData does not have (EID, a v1.0 tag, BF2D):
 * incorrectTagList, as a vendor IPA answers. */
static void
test_data_unknown_tag (void)
{
	static const guint8 tag_list[] = { 0xBF, 0x20, 0x5A };
	g_autoptr(EsimPollReport) report = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_data_request (tag_list, sizeof (tag_list)));
	report = cycle_ok (&lab);
	record = record_at (&lab, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA_ERROR);
	g_assert_cmpint (record->error_code, ==, 1);
	lab_stop (&lab);
}

/* ---- downloads ---- */

static gchar *
trigger_code (Lab *lab, const gchar *matching_id)
{
	EsimTestSmdpOrder order = { .matching_id = matching_id, .profile_name = "Triggered profile" };
	g_autoptr(GError) error = NULL;
	gchar *code;

	g_assert_true (esim_test_smdp_add_order (lab->smdp, &order, &error));
	code = esim_test_smdp_get_activation_code (lab->smdp, matching_id);
	/* the trigger carries the code without the "LPA:" scheme */
	if (g_str_has_prefix (code, "LPA:"))
		memmove (code, code + 4, strlen (code + 4) + 1);
	return code;
}

static void
check_download (EsimEsipaBinding binding, gboolean indirect)
{
	LabOptions options = { .binding = binding, .no_indirect = !indirect };
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *code = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start (&lab, &options);
	code = trigger_code (&lab, "MID-TRIGGER");
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_download (code));
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 1);
	g_assert_true (report->changed & ESIM_EIM_PACKAGE_CHANGED_PROFILES);
	profiles = card_profiles (&lab);
	g_assert_cmpuint (profiles->len, ==, 3);
	record = record_at (&lab, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT);
	g_assert_null (record->problems);
	g_assert_cmpuint (esim_test_eim_get_relayed (lab.eim, ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION), ==,
	                  indirect ? 1 : 0);
	g_assert_cmpint (esim_test_smdp_get_order_state (lab.smdp, "MID-TRIGGER"), !=,
	                 ESIM_TEST_SMDP_ORDER_RELEASED);
	/* journalled, delivered, forgotten; the installation result acknowledged
	 * and removed from the card */
	g_assert_cmpuint (lab.journal_saves, ==, 1);
	g_assert_cmpuint (lab.journal_entries->len, ==, 0);
	g_assert_cmpuint (card_notifications (&lab), ==, 0);
	lab_stop (&lab);
}

static void
test_download_indirect (gconstpointer data)
{
	check_download (binding_of (data), TRUE);
}

static void
test_download_direct (gconstpointer data)
{
	check_download (binding_of (data), FALSE);
}

/* The SM-DP+ knows no such order: the download fails after the card
 * authenticated the server, the session is cancelled on both sides, and the
 * eIM gets a profileDownloadError carrying the card's signed
 * CancelSessionResponse (esim_download_get_error_response). */
static void
test_download_refused (gconstpointer data)
{
	LabOptions options = { .binding = binding_of (data) };
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autofree gchar *known = NULL;
	g_autofree gchar *code = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start (&lab, &options);
	known = trigger_code (&lab, "MID-KNOWN");
	code = g_strdup_printf ("1$%s$MID-UNKNOWN", esim_test_smdp_get_address (lab.smdp));
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_download (code));
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 1);
	profiles = card_profiles (&lab);
	g_assert_cmpuint (profiles->len, ==, 2);
	record = record_at (&lab, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_DOWNLOAD_ERROR);
	g_assert_null (record->problems);
	/* BF54 { 82 tid, 30 { 80 7F, 04 <the card's BF41> } } */
	{
		gsize len;
		const guint8 *bytes = g_bytes_get_data (record->tlv, &len);
		gboolean found = FALSE;

		for (gsize i = 0; i + 2 < len; i++)
			found |= bytes[i] == 0x04 && bytes[i + 2] == 0xBF && i + 3 < len && bytes[i + 3] == 0x41;
		g_assert_true (found);
	}
	g_assert_cmpuint (lab.journal_entries->len, ==, 0);
	lab_stop (&lab);
}

/* A pushed download trigger: received now, the result delivered by
 * ProvideEimPackageResult (journalled first). */
static void
test_pushed_download (void)
{
	EsimGetEimPackageRequest request = { .state_change_cause = -1 };
	g_autoptr(EsimEimPackage) fetched = NULL;
	g_autoptr(EsimPollPushAnswer) answer = NULL;
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *code = NULL;
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	code = trigger_code (&lab, "MID-PUSHED");
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_download (code));
	request.eid = lab.eid;
	esim_esipa_client_get_eim_package_async (lab.client, &request, NULL, test_store_result, &res);
	WAIT (res, "GetEimPackage");
	fetched = esim_esipa_client_get_eim_package_finish (lab.client, res, NULL, &error);
	g_assert_no_error (error);
	esim_poll_cycle_execute_pushed_async (lab.isdr, &lab.options, &lab.cache, fetched, NULL, test_store_result,
	                                      &res2);
	WAIT (res2, "the pushed download");
	answer = esim_poll_cycle_execute_pushed_finish (res2, &report, &error);
	g_assert_no_error (error);
	g_assert_cmpint (answer->response.kind, ==, ESIM_TRANSFER_RESPONSE_RECEIVED);
	g_assert_true (answer->response.with_cid);
	g_assert_cmpstr (answer->response.eim_transaction_id, ==,
	                 fetched->profile_download_trigger->eim_transaction_id);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_cmpint (record_at (&lab, 0)->kind, ==, ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT);
	g_assert_cmpuint (lab.journal_saves, ==, 1);
	g_assert_cmpuint (lab.journal_entries->len, ==, 0);
	lab_stop (&lab);
}

/* ---- notifications ---- */

/* Notifications a local switch left on the card go to the eIM and leave the
 * card; a result left there goes with them (ePRAndNotifications). */
static void
test_notifications (gconstpointer data)
{
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	guint pending;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_es10_enable_profile (lab.isdr, DISABLED_ICCID, FALSE, NULL, test_store_result, &res);
	WAIT (res, "a local enable");
	g_assert_true (esim_es10_enable_profile_finish (lab.isdr, res, &error));
	pending = card_notifications (&lab);
	g_assert_cmpuint (pending, >=, 1);
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->notifications_delivered, ==, pending);
	g_assert_cmpuint (n_records_of (&lab, ESIM_TEST_EIM_RECORD_NOTIFICATION), ==, pending);
	g_assert_cmpuint (card_notifications (&lab), ==, 0);
	g_assert_true (lab.cache.pending_known);
	g_assert_cmpuint (lab.cache.pending, ==, 0);
	assert_no_duplicates (&lab);
	lab_stop (&lab);
}

/* ---- faults ---- */

static void
test_replay (gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) first = psmo_package ();
	g_autoptr(EsimTestEimPackage) replayed = psmo_package ();
	g_autoptr(EsimPollReport) report = NULL;
	const EsimTestEimRecord *record;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_test_eim_package_add_list_profile_info (first, NULL);
	esim_test_eim_package_add_list_profile_info (replayed, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&first));
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&replayed));
	/* the second package signed with the first's counter */
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_WRONG_COUNTER,
	                                                        .functions = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE,
	                                                        .count = 1, .value = 0 });
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 2);
	g_assert_cmpuint (report->results_delivered, ==, 2);
	record = record_at (&lab, 0);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR);
	/* replayError (4) or counterValueOutOfRange (6): the card's */
	g_assert_true (record->error_code == 4 || record->error_code == 6);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_cmpint (record_at (&lab, 1)->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpuint (card_results (&lab), ==, 0);
	lab_stop (&lab);
}

static void
test_package_error (gconstpointer data)
{
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(EsimPollReport) partial = NULL;
	g_autoptr(GError) error = NULL;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_PACKAGE_ERROR,
	                                                        .count = 1, .value = 2 });
	report = run_cycle (&lab, NULL, &partial, &error);
	g_assert_null (report);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_nonnull (partial);
	g_assert_cmpuint (partial->packages, ==, 0);
	if (binding_of (data) == ESIM_ESIPA_BINDING_ASN1)
		g_assert_cmpint (partial->last_package_error, ==, 2);
	lab_stop (&lab);
}

/* The eIM answers 500 once, then the client's repeat goes through: the
 * result is recorded once. */
static void
test_eim_500_recovers (gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	g_autoptr(EsimPollReport) report = NULL;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS,
	                                                        .functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	                                                        .count = 1, .value = 500 });
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_cmpuint (records (&lab)->len, ==, 1);
	assert_no_duplicates (&lab);
	g_assert_cmpuint (card_results (&lab), ==, 0);
	lab_stop (&lab);
}

/* An outage outlasting the client's repeats: the data response stays in the
 * journal, and the next cycle delivers it, once. */
static void
test_journal_outage (void)
{
	static const guint8 tag_list[] = { 0xBF, 0x20 };
	LabOptions options = { .binding = ESIM_ESIPA_BINDING_ASN1, .attempts = 1 };
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GError) error = NULL;
	Lab lab;

	lab_start (&lab, &options);
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_data_request (tag_list, sizeof (tag_list)));
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS,
	                                                        .functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	                                                        .count = 1, .value = 500 });
	report = run_cycle (&lab, NULL, NULL, &error);
	g_assert_null (report);
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_cmpuint (lab.journal_entries->len, ==, 1);
	g_assert_cmpuint (records (&lab)->len, ==, 0);

	report = cycle_ok (&lab);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_cmpuint (report->packages, ==, 0);
	g_assert_cmpuint (lab.journal_entries->len, ==, 0);
	g_assert_cmpuint (records (&lab)->len, ==, 1);
	g_assert_cmpint (record_at (&lab, 0)->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA);
	lab_stop (&lab);
}

/* The eIM refuses a result the card does not keep (provideEimPackageResultError):
 * it leaves the journal, and the cycle goes on instead of stopping there
 * every time. */
static void
test_provide_refused (void)
{
	static const guint8 tag_list[] = { 0xBF, 0x20 };
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	esim_test_eim_queue (lab.eim, lab.eid, esim_test_eim_package_new_data_request (tag_list, sizeof (tag_list)));
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_PROVIDE_ERROR,
	                                                        .count = 1, .value = 127 });
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->packages, ==, 2);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_cmpuint (lab.journal_saves, ==, 1);
	g_assert_cmpuint (lab.journal_entries->len, ==, 0);
	g_assert_cmpuint (n_records_of (&lab, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT), ==, 1);
	lab_stop (&lab);
}

static void
cancel_on_provide (EsimTestEim *eim, guint function, const gchar *eid, gpointer user_data)
{
	if (function == ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT)
		g_cancellable_cancel (user_data);
}

/* "Killed" between LoadEuiccPackage and ProvideEimPackageResult: the cycle is
 * cancelled as its result goes out (the eIM never processes it), and a new
 * daemon (cold cache, new client) finds the result on the card and delivers
 * it exactly once. */
static void
test_killed_cycle (gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GError) error = NULL;
	gulong handler;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	esim_test_eim_add_fault (lab.eim, &(EsimTestEimFault) { .kind = ESIM_TEST_EIM_FAULT_NO_ANSWER,
	                                                        .functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	                                                        .count = 1 });
	handler = g_signal_connect (lab.eim, "request", G_CALLBACK (cancel_on_provide), cancellable);
	report = run_cycle (&lab, cancellable, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_null (report);
	g_clear_error (&error);
	g_signal_handler_disconnect (lab.eim, handler);
	g_assert_cmpuint (records (&lab)->len, ==, 0);
	g_assert_cmpuint (card_results (&lab), ==, 1);

	/* the restart: nothing cached */
	esim_poll_cache_clear (&lab.cache);
	report = cycle_ok (&lab);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_cmpuint (report->packages, ==, 0);
	g_assert_cmpuint (records (&lab)->len, ==, 1);
	g_assert_cmpint (record_at (&lab, 0)->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_true (record_at (&lab, 0)->acknowledged);
	g_clear_pointer (&report, esim_poll_report_free);
	g_assert_cmpuint (card_results (&lab), ==, 0);
	/* and never again */
	report = cycle_ok (&lab);
	g_assert_cmpuint (records (&lab)->len, ==, 1);
	assert_no_duplicates (&lab);
	lab_stop (&lab);
}

/* An empty poll on a warm cache: GetEimPackage and at most 2 APDUs. */
static void
test_warm_empty_poll (gconstpointer data)
{
	g_autoptr(EsimPollReport) cold = NULL;
	g_autoptr(EsimPollReport) warm = NULL;
	guint before;
	Lab lab;

	lab_start_simple (&lab, binding_of (data));
	cold = cycle_ok (&lab);
	g_assert_cmpuint (cold->packages, ==, 0);
	g_assert_nonnull (lab.cache.eid);
	g_assert_cmpstr (lab.cache.eid, ==, lab.eid);
	g_assert_true (lab.cache.pending_known);
	before = esim_isdr_get_apdu_count (lab.isdr);
	warm = cycle_ok (&lab);
	g_test_message ("warm empty poll: %u APDUs", esim_isdr_get_apdu_count (lab.isdr) - before);
	g_assert_cmpuint (esim_isdr_get_apdu_count (lab.isdr) - before, <=, 2);
	g_assert_cmpuint (warm->packages, ==, 0);
	lab_stop (&lab);
}

/* A poll carrying one PSMO on a warm daemon (design.md budgets): one
 * connection from GetEimPackage to the acknowledgement, at most 16 APDUs.
 * (listProfileInfo: an enable also carries the two notifications it queued,
 * 2.4 KB with their certificates, 11 GET RESPONSEs more on this card.) */
static void
test_psmo_budget (void)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	g_autoptr(EsimPollReport) cold = NULL;
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GError) error = NULL;
	EsimTestEimCounters counters;
	guint before;
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	cold = cycle_ok (&lab);
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	esim_test_eim_reset_counters (lab.eim);
	before = esim_isdr_get_apdu_count (lab.isdr);
	report = cycle_ok (&lab);
	g_test_message ("one PSMO: %u APDUs", esim_isdr_get_apdu_count (lab.isdr) - before);
	g_assert_cmpuint (report->packages, ==, 1);
	g_assert_cmpuint (esim_isdr_get_apdu_count (lab.isdr) - before, <=, 16);
	esim_test_eim_get_counters (lab.eim, &counters);
	g_assert_cmpuint (counters.connections, ==, 1);

	/* an enable on the warm cache: the card held nothing else, so its result
	 * needs no listing; the notifications it queued go first */
	package = psmo_package ();
	g_assert_true (esim_test_eim_package_add_enable (package, DISABLED_ICCID, FALSE, &error));
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	g_clear_pointer (&report, esim_poll_report_free);
	before = esim_isdr_get_apdu_count (lab.isdr);
	report = cycle_ok (&lab);
	g_test_message ("one enable PSMO and its notifications: %u APDUs", esim_isdr_get_apdu_count (lab.isdr) - before);
	g_assert_cmpuint (report->results_delivered, ==, 1);
	g_assert_cmpuint (report->notifications_delivered, >=, 1);
	g_assert_cmpuint (card_results (&lab), ==, 0);
	g_assert_cmpuint (card_notifications (&lab), ==, 0);
	assert_no_duplicates (&lab);
	lab_stop (&lab);
}

/* ---- notifyStateChange, push ---- */

static void
test_notify_state_change (void)
{
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	gint64 cause = -1;
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	esim_poll_cycle_notify_state_change_async (lab.isdr, &lab.options, &lab.cache, ESIM_STATE_CHANGE_LOCAL, NULL,
	                                           test_store_result, &res);
	WAIT (res, "the cycle after a local change");
	report = esim_poll_cycle_finish (res, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (esim_test_eim_get_state_changes (lab.eim, lab.eid, &cause), ==, 1);
	g_assert_cmpint (cause, ==, ESIM_STATE_CHANGE_LOCAL);
	lab_stop (&lab);
}

/* A pushed package (here fetched the other way, as the push listener would
 * hand it over): answered with the card's result. */
static void
test_pushed (void)
{
	g_autoptr(EsimTestEimPackage) package = psmo_package ();
	EsimGetEimPackageRequest request = { .state_change_cause = -1 };
	g_autoptr(EsimEimPackage) fetched = NULL;
	g_autoptr(EsimPollPushAnswer) answer = NULL;
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *content_type = NULL;
	Lab lab;

	lab_start_simple (&lab, ESIM_ESIPA_BINDING_ASN1);
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_queue (lab.eim, lab.eid, g_steal_pointer (&package));
	request.eid = lab.eid;
	esim_esipa_client_get_eim_package_async (lab.client, &request, NULL, test_store_result, &res);
	WAIT (res, "GetEimPackage");
	fetched = esim_esipa_client_get_eim_package_finish (lab.client, res, NULL, &error);
	g_assert_no_error (error);

	esim_poll_cycle_execute_pushed_async (lab.isdr, &lab.options, &lab.cache, fetched, NULL, test_store_result,
	                                      &res2);
	WAIT (res2, "the pushed package");
	answer = esim_poll_cycle_execute_pushed_finish (res2, &report, &error);
	g_assert_no_error (error);
	g_assert_cmpint (answer->response.kind, ==, ESIM_TRANSFER_RESPONSE_RESULT);
	g_assert_cmpint (answer->response.result->kind, ==, ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT);
	g_assert_cmpuint (report->packages, ==, 1);
	body = esim_esipa_client_encode_transfer_response (lab.client, &answer->response, &content_type, &error);
	g_assert_no_error (error);
	g_assert_cmphex (g_bytes_get_size (body) > 2 ? ((const guint8 *) g_bytes_get_data (body, NULL))[0] : 0, ==,
	                 0xBF);
	/* the result stays on the card until acknowledged */
	g_assert_cmpuint (card_results (&lab), ==, 1);
	lab_stop (&lab);
}

/* ---- the journal's decoding ---- */

static void
test_journal_decode (void)
{
	EsimEimPackageResult error_result = { .kind = ESIM_EIM_PACKAGE_RESULT_ERROR, .error_code = 127,
	                                      .eim_transaction_id = "0102" };
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(GBytes) bad = test_hex ("300100");
	g_autoptr(GBytes) no_code = test_hex ("A0038001FF");
	/* a code, then bytes that cannot be framed (found by fuzz-eim-flows) */
	g_autoptr(GBytes) garbage = test_hex ("A005020107FF00");
	g_autoptr(EsimEimPackageResult) decoded = NULL;
	g_autoptr(GError) error = NULL;

	encoded = esim_esipa_encode_eim_package_result (&error_result, &error);
	g_assert_no_error (error);
	decoded = esim_poll_journal_decode (encoded, &error);
	g_assert_no_error (error);
	g_assert_cmpint (decoded->kind, ==, ESIM_EIM_PACKAGE_RESULT_ERROR);
	g_assert_cmpint (decoded->error_code, ==, 127);
	g_assert_cmpstr (decoded->eim_transaction_id, ==, "0102");
	g_clear_pointer (&decoded, esim_eim_package_result_free);
	g_assert_null (esim_poll_journal_decode (bad, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
	g_clear_error (&error);
	g_assert_null (esim_poll_journal_decode (no_code, &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_null (esim_poll_journal_decode (garbage, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_TAG);
}

/* rollbackFlag read from the eIM's bytes (vectors.md V4 has none; V18
 * with a rollbackFlag added has one) */
static void
test_rollback_flag (void)
{
	g_autoptr(GBytes) v4 = test_hex ("BF51818A3045800C672D65696D2E636F6D2E62725A108904903200000000000027997320"
	                                 "0019810105821000000000000003676A9E55E6FF224E0FA00EA30C5A0A988803680521"
	                                 "828917F05F3740D38574477C5EFCCBF689FD9F939CA02B360630B3E8044702A44EE55D"
	                                 "169045D596C65238CB3CF978C62C1DB2016550034199AA22227E8F5BD9524C362408F0B4");
	g_autoptr(GBytes) with_flag = test_hex ("BF513B303180087465737465696D315A1089010000000000000000000000000001"
	                                        "810101A010A30E5A0A891010123456789012F105005F37053003020101");
	g_autoptr(GBytes) truncated = test_hex ("BF513B303180");

	g_assert_false (esim_eim_package_request_allows_rollback (v4));
	g_assert_true (esim_eim_package_request_allows_rollback (with_flag));
	g_assert_false (esim_eim_package_request_allows_rollback (truncated));
	g_assert_false (esim_eim_package_request_allows_rollback (NULL));
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions options = { .smdp_host = SMDP_HOST };
	g_autoptr(GError) error = NULL;
	int ret;

	net_test_init ();
	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-eim-flows-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));

#define BOTH(path, func)                                                                           \
	G_STMT_START {                                                                             \
		g_test_add_data_func ("/flows/eim/" path "/asn1", GINT_TO_POINTER (0), func);      \
		g_test_add_data_func ("/flows/eim/" path "/json", GINT_TO_POINTER (1), func);      \
	} G_STMT_END
	BOTH ("psmo/enable", test_psmo_enable);
	BOTH ("psmo/disable-delete", test_psmo_disable_delete);
	BOTH ("psmo/list-profile-info", test_psmo_list_profile_info);
	g_test_add_func ("/flows/eim/psmo/rollback", test_psmo_rollback);
	BOTH ("eco/add-delete", test_eco_add_delete);
	BOTH ("data/every-tag", test_data_every_tag);
	g_test_add_func ("/flows/eim/data/unknown-tag", test_data_unknown_tag);
	BOTH ("download/indirect", test_download_indirect);
	BOTH ("download/direct", test_download_direct);
	BOTH ("download/refused", test_download_refused);
	g_test_add_func ("/flows/eim/pushed/download", test_pushed_download);
	BOTH ("notifications", test_notifications);
	BOTH ("fault/replay", test_replay);
	BOTH ("fault/package-error", test_package_error);
	BOTH ("fault/500-recovers", test_eim_500_recovers);
	g_test_add_func ("/flows/eim/fault/journal-outage", test_journal_outage);
	g_test_add_func ("/flows/eim/fault/provide-refused", test_provide_refused);
	BOTH ("fault/killed", test_killed_cycle);
	BOTH ("warm-empty-poll", test_warm_empty_poll);
	g_test_add_func ("/flows/eim/psmo-budget", test_psmo_budget);
	g_test_add_func ("/flows/eim/notify-state-change", test_notify_state_change);
	g_test_add_func ("/flows/eim/pushed", test_pushed);
	g_test_add_func ("/flows/eim/journal-decode", test_journal_decode);
	g_test_add_func ("/flows/eim/rollback-flag", test_rollback_flag);
	ret = g_test_run ();
	rm_rf (pki_dir);
	return ret;
}
