/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Notification delivery by the real esimd: a software eUICC with the
 * credentials of a test PKI whose profiles notify the test SM-DP+ (over real
 * TLS, trusted through [download] TestCiDirectory), a state directory, and
 * restarts — also with SIGKILL.  The SM-DP+ runs in this process, so every
 * call that may start a round is asynchronous: the test keeps the main loop
 * turning while esimd talks to the server.
 *
 * What is checked (SGP.22 §3.5 / SGP.32 §3.7, digest §6): each notification
 * reaches its server as the card signed it, and leaves the card only after
 * the server accepted it; none is sent twice; with an eIM, none is sent
 * directly.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-veuicc.h"
#include "esimd-gdbus.h"
#include "esimd-test-harness.h"

typedef EsimdGdbusEuicc EuiccProxy;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EuiccProxy, g_object_unref)

/* the demo profiles of a new software eUICC: the first is enabled */
#define ICCID_ENABLED  "8944476500000000013"
#define ICCID_DISABLED "89444765000000000223"

/* NotificationEvent bits as the test SM-DP+ reports them */
#define EVENT_ENABLE  2
#define EVENT_DISABLE 4
#define EVENT_DELETE  8

/* vectors.md V16: the AddInitialEimRequest shipped with onomondo-ipa */
static const gchar v16_add_initial_eim[] =
	"BF577CA07A3078800365494D810E3132372E302E302E313A383030308301018401FFA55BA059301306072A"
	"8648CE3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D36DF"
	"9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3DDF1C";

static gchar *pki_dir;

typedef struct {
	EsimdTestHarness   *h;
	EsimTestSmdp       *smdp;
	GDBusObjectManager *om;
	EsimdGdbusEuicc    *euicc;
	gchar              *eid;
} Fixture;

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

/* ---- the card and the configuration ---- */

/* Rewrites card0.ini: both demo profiles notify @address; [faults] @faults ("BF30=6F00") or none. */
static void
edit_card (Fixture *f, const gchar *address, const gchar *faults)
{
	g_autofree gchar *path = esimd_test_harness_card_path (f->h, 0);
	g_autoptr(GKeyFile) kf = g_key_file_new ();
	g_autoptr(GError) error = NULL;

	g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, &error));
	for (guint i = 0; address != NULL && i < 2; i++) {
		g_autofree gchar *group = g_strdup_printf ("profile %u", i);

		g_key_file_set_string (kf, group, "notification-address", address);
	}
	g_key_file_remove_group (kf, "faults", NULL);
	if (faults != NULL) {
		g_auto(GStrv) pair = g_strsplit (faults, "=", 2);
		g_key_file_set_string (kf, "faults", pair[0], pair[1]);
	}
	g_assert_true (g_key_file_save_to_file (kf, path, &error));
}

/* A software eUICC of the test PKI whose profiles notify the test SM-DP+, and esimd's
 * configuration: the test CI trusted, retries after @retry_s seconds. */
static void
fixture_prepare (Fixture *f, guint retry_s, const gchar *faults)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = "localhost" };
	g_autofree gchar *card = NULL;
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n", pki_dir);
	g_autofree gchar *config_dir = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *config = NULL;
	g_autoptr(EsimVeuicc) made = NULL;
	g_autoptr(GError) error = NULL;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	f->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (f->smdp, "127.0.0.1:0", &error));

	card = esimd_test_harness_card_path (f->h, 0);
	g_assert_true (g_file_set_contents (card, seed, -1, &error));
	made = esim_veuicc_new_from_file (card, FALSE, &error);
	g_assert_no_error (error);
	f->eid = g_strdup (esim_veuicc_get_eid (made));
	g_clear_object (&made);
	edit_card (f, esim_test_smdp_get_address (f->smdp), faults);

	/* after the harness's 00-harness.conf, which turns automatic delivery off */
	config_dir = esimd_test_harness_config_dir (f->h);
	config_path = g_build_filename (config_dir, "50-notify.conf", NULL);
	config = g_strdup_printf ("[download]\nTestCiDirectory=%s/CertificateIssuer\n"
	                          "[notifications]\nAutomatic=true\nRetryInitialDelay=%u\n"
	                          "RetryMaxDelay=%u\n", pki_dir, retry_s, retry_s);
	g_assert_true (g_file_set_contents (config_path, config, -1, &error));
}

static void
fixture_connect (Fixture *f)
{
	g_autoptr(GError) error = NULL;
	GList *objects;

	g_clear_object (&f->euicc);
	g_clear_object (&f->om);
	f->om = esimd_gdbus_object_manager_client_new_sync (esimd_test_harness_get_connection (f->h),
	                                                    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
	                                                    ESIMD_TEST_BUS_NAME, ESIMD_TEST_ROOT_PATH,
	                                                    NULL, &error);
	g_assert_no_error (error);
	objects = g_dbus_object_manager_get_objects (f->om);
	for (GList *l = objects; l != NULL && f->euicc == NULL; l = l->next)
		f->euicc = esimd_gdbus_object_get_euicc (ESIMD_GDBUS_OBJECT (l->data));
	g_list_free_full (objects, g_object_unref);
	g_assert_nonnull (f->euicc);
}

static void
fixture_start (Fixture *f)
{
	esimd_test_harness_start_daemon (f->h, 1, NULL);
	fixture_connect (f);
}

static void
fixture_stop (Fixture *f)
{
	g_clear_object (&f->euicc);
	g_clear_object (&f->om);
	esimd_test_harness_stop_daemon (f->h);
	g_clear_object (&f->smdp);
	g_clear_pointer (&f->h, esimd_test_harness_free);
	g_free (f->eid);
}

/* ---- calls that keep the main loop (and so the SM-DP+) running ---- */

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

static GVariant *
call_full (Fixture *f, const gchar *method, GVariant *params, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	g_dbus_proxy_call (G_DBUS_PROXY (f->euicc), method, params, G_DBUS_CALL_FLAGS_NONE, 30000,
	                   NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the answer to %s", method);
	return g_dbus_proxy_call_finish (G_DBUS_PROXY (f->euicc), res, error);
}

static GVariant *
call (Fixture *f, const gchar *method, GVariant *params)
{
	g_autoptr(GError) error = NULL;
	GVariant *reply = call_full (f, method, params, &error);

	g_assert_no_error (error);
	return reply;
}

static void
switch_profile (Fixture *f, const gchar *method, const gchar *iccid)
{
	g_autoptr(GVariant) reply = call (f, method, g_variant_new ("(sa{sv})", iccid, NULL));

	g_assert_nonnull (reply);
}

/* ListNotifications(): the dictionaries. */
static GVariant *
list_notifications (Fixture *f)
{
	g_autoptr(GVariant) reply = call (f, "ListNotifications", NULL);

	return g_variant_get_child_value (reply, 0);
}

static guint
pending (Fixture *f)
{
	return esimd_gdbus_euicc_get_pending_notifications (f->euicc);
}

static guint
received (Fixture *f)
{
	return esim_test_smdp_get_notifications (f->smdp)->len;
}

static EsimTestSmdpNotification *
received_at (Fixture *f, guint i)
{
	return g_ptr_array_index (esim_test_smdp_get_notifications (f->smdp), i);
}

static guint
handle_requests (Fixture *f)
{
	return esim_test_smdp_get_request_count (f->smdp, "handleNotification");
}

/* Waits until the server has @n notifications and the card none. */
static void
wait_delivered (Fixture *f, guint n)
{
	esim_test_wait_until (received (f) == n && pending (f) == 0,
	                      "%u notification(s) at the SM-DP+ (%u) and none on the card (%u)", n,
	                      received (f), pending (f));
}

static gchar *
record_path (Fixture *f)
{
	g_autofree gchar *name = g_strdup_printf ("euicc-%s.ini", f->eid);

	return g_build_filename (esimd_test_harness_get_tmpdir (f->h), "state", name, NULL);
}

static GKeyFile *
load_record (Fixture *f)
{
	g_autofree gchar *path = record_path (f);
	GKeyFile *kf = g_key_file_new ();
	g_autoptr(GError) error = NULL;

	g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
	g_assert_no_error (error);
	return kf;
}

static const gchar *
dict_string (GVariant *dict, const gchar *key)
{
	const gchar *value = NULL;

	g_assert_true (g_variant_lookup (dict, key, "&s", &value));
	return value;
}

static gboolean
log_has (gpointer user_data)
{
	gpointer *args = user_data;
	g_autofree gchar *log = esimd_test_harness_read_log (args[0]);

	return strstr (log, args[1]) != NULL;
}

static void
wait_log (Fixture *f, const gchar *text)
{
	gpointer args[] = { f->h, (gpointer) text };

	esim_test_wait_until_func (0, log_has, args, "the log to say \"%s\"", text);
}

/* ---- the tests ---- */

/* Enable, disable, delete: each notification reaches the SM-DP+, signed by the card,
 * then leaves the card; nothing stays in the state directory. */
static void
test_enable_disable_delete (void)
{
	Fixture f = { 0 };
	g_autofree gchar *record = NULL;
	g_autoptr(GVariant) left = NULL;
	const guint expected_events[] = { EVENT_DISABLE, EVENT_ENABLE, EVENT_DISABLE, EVENT_DELETE };
	const gchar *expected_iccids[] = { ICCID_ENABLED, ICCID_DISABLED, ICCID_DISABLED, ICCID_DISABLED };

	fixture_prepare (&f, 3600, NULL);
	fixture_start (&f);
	g_assert_cmpuint (pending (&f), ==, 0);

	switch_profile (&f, "EnableProfile", ICCID_DISABLED);
	wait_delivered (&f, 2);
	switch_profile (&f, "DisableProfile", ICCID_DISABLED);
	wait_delivered (&f, 3);
	switch_profile (&f, "DeleteProfile", ICCID_DISABLED);
	wait_delivered (&f, 4);

	for (guint i = 0; i < 4; i++) {
		EsimTestSmdpNotification *got = received_at (&f, i);

		g_assert_false (got->installation_result);
		g_assert_true (got->verified);
		g_assert_cmpuint (got->events, ==, expected_events[i]);
		g_assert_cmpstr (got->iccid, ==, expected_iccids[i]);
		if (i > 0)
			g_assert_cmpuint (got->seq_number, >, received_at (&f, i - 1)->seq_number);
	}
	g_assert_cmpuint (handle_requests (&f), ==, 4);
	left = list_notifications (&f);
	g_assert_cmpuint (g_variant_n_children (left), ==, 0);
	record = record_path (&f);
	g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
	wait_log (&f, "delivered to localhost:");
	fixture_stop (&f);
}

/* HTTP 500: kept on the card, failing, with its attempts in the state directory; after a
 * restart, with the server back, delivered — exactly once. */
static void
test_failure_survives_restart (void)
{
	Fixture f = { 0 };
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(GHashTable) seqs = g_hash_table_new (g_int64_hash, g_int64_equal);
	g_autofree gchar *record = NULL;
	g_auto(GStrv) groups = NULL;

	fixture_prepare (&f, 2, NULL);
	esim_test_smdp_set_http_error (f.smdp, "handleNotification", 500);
	fixture_start (&f);
	switch_profile (&f, "EnableProfile", ICCID_DISABLED);
	esim_test_wait_until (handle_requests (&f) >= 1, "esimd to try the SM-DP+");
	wait_log (&f, "notifications: 0 delivered");

	list = list_notifications (&f);
	g_assert_cmpuint (g_variant_n_children (list), ==, 2);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(GVariant) dict = g_variant_get_child_value (list, i);
		guint32 attempts = 0;
		gint64 next = 0;

		g_assert_cmpstr (dict_string (dict, "route"), ==, "direct");
		g_assert_cmpstr (dict_string (dict, "state"), ==, "failing");
		g_assert_nonnull (strstr (dict_string (dict, "last-error"), "500"));
		g_assert_true (g_variant_lookup (dict, "attempts", "u", &attempts));
		g_assert_cmpuint (attempts, >=, 1);
		g_assert_true (g_variant_lookup (dict, "next-attempt", "x", &next));
		g_assert_cmpint (next, >, 0);
	}
	g_assert_cmpuint (received (&f), ==, 0);
	g_assert_cmpuint (pending (&f), ==, 2);

	/* what a restart starts from */
	esimd_test_harness_stop_daemon (f.h);
	kf = load_record (&f);
	groups = g_key_file_get_groups (kf, NULL);
	g_assert_cmpuint (g_strv_length (groups), ==, 2);
	for (guint i = 0; groups[i] != NULL; i++) {
		g_assert_false (g_key_file_get_boolean (kf, groups[i], "Delivered", NULL));
		g_assert_cmpint (g_key_file_get_integer (kf, groups[i], "Attempts", NULL), >=, 1);
		g_assert_cmpint (g_key_file_get_int64 (kf, groups[i], "NextAttempt", NULL), >, 0);
	}

	esim_test_smdp_set_http_error (f.smdp, "handleNotification", 0);
	fixture_start (&f);
	wait_delivered (&f, 2);
	/* time for a retry that must not come */
	esimd_test_harness_spin (f.h, 3000);
	g_assert_cmpuint (received (&f), ==, 2);
	for (guint i = 0; i < received (&f); i++) {
		guint64 *seq = &received_at (&f, i)->seq_number;

		g_assert_false (g_hash_table_contains (seqs, seq));
		g_hash_table_add (seqs, seq);
	}
	record = record_path (&f);
	g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
	fixture_stop (&f);
}

/* Nobody asks: the retry timer alone brings the notifications to the server once it is
 * back, and then no further round runs (no wakeups with nothing due). */
static void
test_retry_timer (void)
{
	Fixture f = { 0 };
	guint requests;

	fixture_prepare (&f, 1, NULL);
	esim_test_smdp_set_http_error (f.smdp, "handleNotification", 500);
	fixture_start (&f);
	switch_profile (&f, "EnableProfile", ICCID_DISABLED);
	wait_log (&f, "notifications: 0 delivered");
	esim_test_smdp_set_http_error (f.smdp, "handleNotification", 0);
	wait_delivered (&f, 2);
	requests = handle_requests (&f);
	esimd_test_harness_spin (f.h, 2500);
	g_assert_cmpuint (handle_requests (&f), ==, requests);
	g_assert_cmpuint (received (&f), ==, 2);
	fixture_stop (&f);
}

/* esimd killed (SIGKILL) after the server accepted and before the card removed (the
 * card refuses RemoveNotificationFromList, so the window stays open): after the
 * restart, removed without a second delivery. */
static void
test_killed_between_delivery_and_removal (void)
{
	Fixture f = { 0 };
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GKeyFile) kf = NULL;
	g_auto(GStrv) groups = NULL;

	fixture_prepare (&f, 3600, "BF30=6F00");
	fixture_start (&f);
	switch_profile (&f, "EnableProfile", ICCID_DISABLED);
	esim_test_wait_until (received (&f) == 2, "the SM-DP+ to accept 2 notifications (%u)",
	                      received (&f));
	wait_log (&f, "but the card did not remove it");
	list = list_notifications (&f);
	g_assert_cmpuint (g_variant_n_children (list), ==, 2);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(GVariant) dict = g_variant_get_child_value (list, i);

		g_assert_cmpstr (dict_string (dict, "state"), ==, "delivered");
	}

	esimd_test_harness_kill_daemon (f.h);
	kf = load_record (&f);
	groups = g_key_file_get_groups (kf, NULL);
	g_assert_cmpuint (g_strv_length (groups), ==, 2);
	for (guint i = 0; groups[i] != NULL; i++)
		g_assert_true (g_key_file_get_boolean (kf, groups[i], "Delivered", NULL));

	/* the card lets go of them now */
	edit_card (&f, NULL, NULL);
	fixture_start (&f);
	esim_test_wait_until (pending (&f) == 0, "the card to have no notification (%u)",
	                      pending (&f));
	wait_log (&f, "without sending it again");
	esimd_test_harness_spin (f.h, 500);
	g_assert_cmpuint (received (&f), ==, 2);
	g_assert_cmpuint (handle_requests (&f), ==, 2);
	fixture_stop (&f);
}

/* `esimcli notification process` sends now what waits for its retry. */
static void
test_cli_process (void)
{
	Fixture f = { 0 };
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = -1;

	fixture_prepare (&f, 3600, NULL);
	esim_test_smdp_set_http_error (f.smdp, "handleNotification", 500);
	fixture_start (&f);
	switch_profile (&f, "EnableProfile", ICCID_DISABLED);
	wait_log (&f, "notifications: 0 delivered");

	out = esimd_test_harness_run_cli (f.h, &status, &err, "-f", "SEQ,ROUTE,STATE,ATTEMPTS",
	                                  "-t", "notification", "list", NULL);
	g_assert_cmpint (status, ==, 0);
	g_assert_nonnull (strstr (out, ":direct:failing:1\n"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	/* the server still fails: exit status 1, the count on stdout */
	out = esimd_test_harness_run_cli (f.h, &status, &err, "notification", "process", NULL);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (out, "0 delivered, 2 failed, 2 left"));
	g_assert_nonnull (strstr (err, "could not be delivered"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	esim_test_smdp_set_http_error (f.smdp, "handleNotification", 0);
	out = esimd_test_harness_run_cli (f.h, &status, &err, "notification", "process", NULL);
	g_assert_cmpint (status, ==, 0);
	g_assert_nonnull (strstr (out, "2 delivered, 0 failed, 0 left"));
	g_assert_cmpuint (received (&f), ==, 2);
	/* esimcli's answer may come before this connection sees PropertiesChanged */
	esim_test_wait_until (pending (&f) == 0, "PendingNotifications 0 after the delivery");
	fixture_stop (&f);
}

/* With an eIM the notifications are the eIM's to route: none is sent directly. */
static void
test_eim_keeps_them_queued (void)
{
	Fixture f = { 0 };
	g_autoptr(GVariant) eim_reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) result = NULL;
	g_autofree gchar *record = NULL;
	g_autofree guint8 *der = NULL;
	const gchar *route = NULL;
	guint32 left = 0;
	gsize len = strlen (v16_add_initial_eim) / 2;

	fixture_prepare (&f, 1, NULL);
	fixture_start (&f);
	der = g_malloc (len);
	for (gsize i = 0; i < len; i++)
		der[i] = (guint8) ((g_ascii_xdigit_value (v16_add_initial_eim[2 * i]) << 4) |
		                   g_ascii_xdigit_value (v16_add_initial_eim[2 * i + 1]));
	eim_reply = call (&f, "AddInitialEim",
	                  g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, der,
	                                                                     len, 1)));
	switch_profile (&f, "EnableProfile", ICCID_DISABLED);
	esim_test_wait_until (pending (&f) == 2, "2 notifications pending (%u)", pending (&f));
	wait_log (&f, "this eUICC has an eIM");

	list = list_notifications (&f);
	g_assert_cmpuint (g_variant_n_children (list), ==, 2);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(GVariant) dict = g_variant_get_child_value (list, i);

		g_assert_cmpstr (dict_string (dict, "route"), ==, "eim");
		g_assert_cmpstr (dict_string (dict, "state"), ==, "pending");
	}
	reply = call (&f, "ProcessNotifications", NULL);
	result = g_variant_get_child_value (reply, 0);
	g_assert_true (g_variant_lookup (result, "route", "&s", &route));
	g_assert_cmpstr (route, ==, "eim");
	g_assert_true (g_variant_lookup (result, "left", "u", &left));
	g_assert_cmpuint (left, ==, 2);

	/* longer than a retry would take */
	esimd_test_harness_spin (f.h, 1500);
	g_assert_cmpuint (handle_requests (&f), ==, 0);
	g_assert_cmpuint (pending (&f), ==, 2);
	record = record_path (&f);
	g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
	fixture_stop (&f);
}

/* Bad [notifications] values: esimd refuses to start and names file, group and key. */
static void
test_config_errors (void)
{
	const struct {
		const gchar *text;
		const gchar *message;
	} cases[] = {
		{ "[notifications]\nAutomatic=maybe\n", "[notifications] Automatic: invalid value" },
		{ "[notifications]\nRetryInitialDelay=0\n",
		  "[notifications] RetryInitialDelay: invalid value \"0\" (expected an integer from 1 "
		  "to 604800)" },
		{ "[notifications]\nRetryMaxDelay=soon\n", "[notifications] RetryMaxDelay: invalid value" },
		{ "[notifications]\nRetryMaxDelay=604801\n", "[notifications] RetryMaxDelay" },
		{ "[notifications]\nRetryInitialDelay=60\nRetryMaxDelay=30\n",
		  "[notifications] RetryMaxDelay (30) is shorter than RetryInitialDelay (60)" },
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

int
main (int argc, char *argv[])
{
	EsimTestPkiOptions options = { .smdp_host = "localhost" };
	g_autoptr(GError) error = NULL;
	int status;

	/* no proxy lookups in esimd or here: the SM-DP+ is on this host */
	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-daemon-notify-pki-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));

	g_test_add_func ("/esimd/notify/enable-disable-delete", test_enable_disable_delete);
	g_test_add_func ("/esimd/notify/failure-survives-restart", test_failure_survives_restart);
	g_test_add_func ("/esimd/notify/retry-timer", test_retry_timer);
	g_test_add_func ("/esimd/notify/killed-between-delivery-and-removal",
	                 test_killed_between_delivery_and_removal);
	g_test_add_func ("/esimd/notify/cli-process", test_cli_process);
	g_test_add_func ("/esimd/notify/eim-keeps-them-queued", test_eim_keeps_them_queued);
	g_test_add_func ("/esimd/notify/config-errors", test_config_errors);
	status = g_test_run ();
	rm_rf (pki_dir);
	g_free (pki_dir);
	return status;
}
