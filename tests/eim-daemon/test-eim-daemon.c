/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eIM poll with the real esimd and esimcli: a software eUICC made from
 * the credentials of a test PKI, with the test eIM (tests/servers) in this
 * process over real TLS, configured on the card with AddInitialEim.  The eIM
 * runs in the test's main context, which the harness iterates while it
 * waits: every call to esimd is asynchronous or made through esimcli.
 *
 * What is checked comes from the eIM's records (what it received, whether
 * the card's signature verified, duplicates), its request counters and the
 * bus; the pace of the scheduler is read from when the eIM saw the requests,
 * compared with each other, never with a fixed time.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esim-test-eim.h"
#include "esim-test-pki.h"
#include "esimd-test-harness.h"

#define HOST          "localhost"
#define EUICC_PATH    ESIMD_TEST_ROOT_PATH "/Euicc/0"
#define IFACE_EUICC   "org.freedesktop.Esimd1.Euicc"
#define IFACE_PROFILE "org.freedesktop.Esimd1.Profile"
#define IFACE_EIM     "org.freedesktop.Esimd1.Eim"
#define IFACE_MANAGER "org.freedesktop.Esimd1"
#define ERROR_PREFIX  "org.freedesktop.Esimd1.Error."
#define CALL_WAIT_MS  60000
/* esimd --poll-once (esimd(8)) */
#define EXIT_POLL_FAILED 1
#define EXIT_USAGE       2
#define EXIT_NO_EIM      3

static gchar *pki_dir;

typedef struct {
	EsimdTestHarness *h;
	EsimTestEim      *eim;
	gchar            *eid;
	gchar            *eim_path;
	GArray           *get_times;    /* gint64 monotonic µs of each GetEimPackage */
	guint             provides;     /* ProvideEimPackageResult requests seen */
	gulong            request_id;
	gboolean          clear_on_rollback; /* clear the faults once the old profile is back */
	gchar            *enabled_before;    /* ICCID enabled before the switch */
	gint64            rollback_seen;     /* monotonic µs */
	guint             props_id;
	/* added to the eIM at the first request after a ProvideEimPackageResult
	 * (the eIM's "request" signal comes before it looks for faults) */
	const EsimTestEimFault *fault_after_provide;
	gboolean          provide_seen;
} Fixture;

/* ---- the eIM ---- */

static void
on_request (EsimTestEim *eim, guint function, const gchar *eid, gpointer user_data)
{
	Fixture *f = user_data;
	gint64 now = g_get_monotonic_time ();

	if (function == ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE)
		g_array_append_val (f->get_times, now);
	if (function == ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT)
		f->provides++;
	if (f->fault_after_provide != NULL) {
		if (f->provide_seen) {
			esim_test_eim_add_fault (eim, f->fault_after_provide);
			f->fault_after_provide = NULL;
		} else if (function == ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT) {
			f->provide_seen = TRUE;
		}
	}
}

static EsimCert *
euicc_certificate (void)
{
	g_autofree gchar *path = g_build_filename (pki_dir, "eUICC", "CERT_EUICC_ECDSA_NIST.der",
	                                           NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

/* ---- calls ---- */

static GVariant *
call (Fixture *f, const gchar *path, const gchar *iface, const gchar *method, GVariant *args,
      const GVariantType *reply_type, GError **error)
{
	return esimd_test_harness_call (f->h, path, iface, method, args, reply_type, CALL_WAIT_MS,
	                                error);
}

static GVariant *
get_property (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	return esimd_test_harness_get_property (f->h, path, iface, name);
}

static gint64
get_int64 (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = get_property (f, path, iface, name);

	return g_variant_get_int64 (value);
}

static gchar *
get_string (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = get_property (f, path, iface, name);

	return g_variant_dup_string (value, NULL);
}

/* The ICCID of the profile in @state ("enabled", "disabled"); the first one found. */
static gchar *
profile_in_state (Fixture *f, const gchar *state)
{
	g_autoptr(GVariant) profiles = get_property (f, EUICC_PATH, IFACE_EUICC, "Profiles");

	for (gsize i = 0; i < g_variant_n_children (profiles); i++) {
		g_autoptr(GVariant) child = g_variant_get_child_value (profiles, i);
		const gchar *path = g_variant_get_string (child, NULL);
		g_autofree gchar *current = get_string (f, path, IFACE_PROFILE, "State");

		if (g_strcmp0 (current, state) == 0)
			return get_string (f, path, IFACE_PROFILE, "Iccid");
	}
	return NULL;
}

static gboolean
profile_is_enabled (Fixture *f, const gchar *iccid)
{
	g_autofree gchar *enabled = profile_in_state (f, "enabled");

	return g_strcmp0 (enabled, iccid) == 0;
}

/* ---- fixture ---- */

/* esimd with one software eUICC of the PKI and @config_extra after the [eim]
 * defaults of these tests; the test eIM listening. */
static void
fixture_start (Fixture *f, const gchar *config_extra, gboolean start)
{
	EsimTestEimOptions options = { .host = HOST, .accept_any_eid = TRUE };
	g_autofree gchar *card = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n", pki_dir);
	g_autofree gchar *text = g_strdup_printf ("[eim]\nPollInterval=3600\nPollJitter=0\n"
	                                          "Attempts=1\nTimeout=10\n%s",
	                                          config_extra != NULL ? config_extra : "");
	g_autoptr(GError) error = NULL;

	f->get_times = g_array_new (FALSE, FALSE, sizeof (gint64));
	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	card = esimd_test_harness_card_path (f->h, 0);
	config = esimd_test_harness_config_path (f->h);
	g_assert_true (g_file_set_contents (card, seed, -1, NULL));
	g_assert_true (g_file_set_contents (config, text, -1, NULL));
	f->eim = esim_test_eim_new (&options, &error);
	g_assert_no_error (error);
	f->request_id = g_signal_connect (f->eim, "request", G_CALLBACK (on_request), f);
	if (start)
		esimd_test_harness_start_daemon (f->h, 1, NULL);
}

/* The eUICC's EID, once esimd runs; the eIM learns its certificate. */
static void
fixture_learn_eid (Fixture *f)
{
	g_autoptr(EsimCert) cert = euicc_certificate ();
	g_autoptr(GError) error = NULL;

	g_free (f->eid);
	f->eid = get_string (f, EUICC_PATH, IFACE_EUICC, "Eid");
	g_assert_cmpuint (strlen (f->eid), ==, 32);
	g_assert_true (esim_test_eim_set_euicc_certificate (f->eim, f->eid, cert, &error));
	g_assert_no_error (error);
}

/* AddInitialEim with the test eIM's configuration; waits for its object and the first
 * poll esimd makes of a new eIM. */
static void
fixture_add_eim (Fixture *f)
{
	EsimTestEimConfigOptions config_options = { 0 };
	g_autoptr(GBytes) configuration = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) eims = NULL;
	g_autoptr(GError) error = NULL;

	fixture_learn_eid (f);
	configuration = esim_test_eim_build_configuration (f->eim, &config_options, &error);
	g_assert_no_error (error);
	reply = call (f, EUICC_PATH, IFACE_EUICC, "AddInitialEim",
	              g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                             g_bytes_get_data (configuration, NULL),
	                             g_bytes_get_size (configuration), 1)),
	              NULL, &error);
	g_assert_no_error (error);
	eims = get_property (f, EUICC_PATH, IFACE_EUICC, "Eims");
	g_assert_cmpuint (g_variant_n_children (eims), ==, 1);
	g_variant_get_child (eims, 0, "o", &f->eim_path);
	/* a new eIM is polled at once */
	esim_test_wait_until (get_int64 (f, f->eim_path, IFACE_EIM, "LastPoll") > 0,
	                      "the first poll of the new eIM");
	g_assert_cmpuint (f->get_times->len, >=, 1);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	fixture_start (f, NULL, TRUE);
	fixture_add_eim (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	if (f->h != NULL && f->props_id != 0)
		g_dbus_connection_signal_unsubscribe (esimd_test_harness_get_connection (f->h),
		                                      f->props_id);
	if (f->h != NULL)
		esimd_test_harness_stop_daemon (f->h);
	if (f->eim != NULL)
		g_signal_handler_disconnect (f->eim, f->request_id);
	g_clear_object (&f->eim);
	g_clear_pointer (&f->h, esimd_test_harness_free);
	g_clear_pointer (&f->get_times, g_array_unref);
	g_free (f->eid);
	g_free (f->eim_path);
	g_free (f->enabled_before);
}

static guint
queue_enable (Fixture *f, const gchar *iccid, gboolean rollback)
{
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_test_eim_package_add_enable (package, iccid, rollback, &error));
	g_assert_no_error (error);
	return esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&package));
}

/* The records of results for @eid, by kind. */
static guint
count_records (Fixture *f, EsimTestEimRecordKind kind, gboolean duplicates)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, f->eid);
	guint n = 0;

	for (guint i = 0; i < records->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i);

		if (record->kind == kind && (duplicates || !record->duplicate))
			n++;
	}
	return n;
}

/* The last record of @kind; fails the test when there is none. */
static const EsimTestEimRecord *
last_record (Fixture *f, EsimTestEimRecordKind kind)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, f->eid);

	for (guint i = records->len; i > 0; i--) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i - 1);

		if (record->kind == kind)
			return record;
	}
	/* an assertion, not g_error(): the harness stops esimd on SIGABRT only */
	g_test_message ("the eIM has no record of kind %d", (gint) kind);
	g_assert_not_reached ();
}

/* ---- tests ---- */

/* esimcli eim poll: the enable PSMO runs on the card, its signed result reaches the eIM
 * and is acknowledged; the properties show the poll. */
static void
test_poll_enable (Fixture *f, gconstpointer data)
{
	g_autofree gchar *disabled = profile_in_state (f, "disabled");
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *last_error = NULL;
	const EsimTestEimRecord *record;
	gint status = -1;
	gint64 last_poll, next_poll;

	g_assert_nonnull (disabled);
	queue_enable (f, disabled, FALSE);
	out = esimd_test_harness_run_cli (f->h, &status, &err, "eim", "poll", NULL);
	g_test_message ("esimcli: %s%s", out, err);
	g_assert_cmpint (status, ==, 0);
	g_assert_nonnull (strstr (out, "1 package(s) executed, 1 result(s)"));
	g_assert_true (profile_is_enabled (f, disabled));
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, TRUE), ==, 1);
	record = last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_nonnull (strstr (record->summary, "enable=ok"));
	/* acknowledged: the next cycle (on the new profile) leaves nothing on the card */
	esim_test_wait_until (record->acknowledged, "the acknowledgement of the result");
	esim_test_wait_until (esim_test_eim_get_queue_length (f->eim, f->eid) == 0, "the queue");
	last_poll = get_int64 (f, f->eim_path, IFACE_EIM, "LastPoll");
	next_poll = get_int64 (f, f->eim_path, IFACE_EIM, "NextPoll");
	last_error = get_string (f, f->eim_path, IFACE_EIM, "LastError");
	g_assert_cmpint (last_poll, >, 0);
	g_assert_cmpint (next_poll, >=, last_poll);
	g_assert_cmpstr (last_error, ==, "");
	g_assert_cmpint (get_int64 (f, EUICC_PATH, IFACE_EUICC, "LastPoll"), ==, last_poll);

	/* an eIM the card does not have */
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = esimd_test_harness_run_cli (f->h, &status, &err, "eim", "poll", "no-such-eim", NULL);
	g_assert_cmpint (status, ==, 10);
}

static gboolean
last_error_is_empty (Fixture *f)
{
	g_autofree gchar *last_error = get_string (f, f->eim_path, IFACE_EIM, "LastError");

	return last_error[0] == '\0';
}

/* The eIM answers 500: each poll fails, the delay between polls grows up to
 * BackoffMax and no faster; once the eIM recovers the package is delivered. */
static void
test_backoff (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = {
		.kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS, .value = 500,
		.functions = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE,
	};
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *last_error = NULL;
	guint first;
	gint64 gap[4];

	fixture_start (f, "PollInterval=1\nBackoffMax=4\n", TRUE);
	esim_test_eim_add_fault (f->eim, &fault);
	fixture_add_eim (f);
	first = f->get_times->len - 1;
	/* polls at +1, +2, +4, +4 s after each failure: five requests give four gaps */
	esim_test_wait_until_ms (60000, f->get_times->len >= first + 5,
	                         "five polls of a failing eIM");
	for (guint i = 0; i < 4; i++)
		gap[i] = g_array_index (f->get_times, gint64, first + i + 1) -
		         g_array_index (f->get_times, gint64, first + i);
	g_test_message ("gaps: %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
	                " %" G_GINT64_FORMAT " µs", gap[0], gap[1], gap[2], gap[3]);
	/* doubling: the third gap is well over the first; then the cap holds it */
	g_assert_cmpint (gap[2], >, gap[0] * 2);
	g_assert_cmpint (gap[3], >, gap[0] * 2);
	g_assert_cmpint (gap[3], <, gap[2] * 2);
	last_error = get_string (f, f->eim_path, IFACE_EIM, "LastError");
	g_assert_true (g_str_has_prefix (last_error, ERROR_PREFIX "ServerError: "));

	/* recovery: the next scheduled poll gets the package */
	esim_test_eim_clear_faults (f->eim);
	disabled = profile_in_state (f, "disabled");
	queue_enable (f, disabled, FALSE);
	esim_test_wait_until_ms (30000,
	                         count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                        TRUE) == 1,
	                         "the result once the eIM is back");
	esim_test_wait_until (profile_is_enabled (f, disabled), "the profile enabled");
	esim_test_wait_until (last_error_is_empty (f), "LastError cleared");
}

static gboolean
log_has (gpointer user_data)
{
	gpointer *args = user_data;
	g_autofree gchar *log = esimd_test_harness_read_log (args[0]);

	return strstr (log, args[1]) != NULL;
}

/* The eIM answers GetEimPackage with an eimPackageError: the cycle ends there with
 * that error (the eIM's LastError, exit status 1 of esimcli eim poll, not the card's
 * LastError), the logical channel it opened is given back, and the card stays usable. */
static void
test_package_error (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = {
		.kind = ESIM_TEST_EIM_FAULT_PACKAGE_ERROR, .value = 127,
		.functions = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE,
	};
	gpointer closed[] = { NULL, (gpointer) "idle after the eIM poll: logical channel closed" };
	g_autofree gchar *last_error = NULL;
	g_autofree gchar *card_error = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = -1;

	fixture_start (f, NULL, TRUE);
	esim_test_eim_add_fault (f->eim, &fault);
	/* the first poll of a new eIM reads the card (AddInitialEim left the cache cold),
	 * then meets the error */
	fixture_add_eim (f);
	closed[0] = f->h;
	esim_test_wait_until_func (0, log_has, closed, "the channel closed after the poll");
	last_error = get_string (f, f->eim_path, IFACE_EIM, "LastError");
	g_test_message ("LastError: %s", last_error);
	g_assert_true (g_str_has_prefix (last_error, ERROR_PREFIX));
	g_assert_nonnull (strstr (last_error, "undefinedError"));

	out = esimd_test_harness_run_cli (f->h, &status, &err, "eim", "poll", NULL);
	g_test_message ("esimcli: %s%s", out, err);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (err, "undefinedError"));

	card_error = get_string (f, EUICC_PATH, IFACE_EUICC, "LastError");
	state = get_string (f, EUICC_PATH, IFACE_EUICC, "State");
	g_assert_cmpstr (card_error, ==, "");
	g_assert_cmpstr (state, ==, "ready");
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, TRUE), ==, 0);
}

/* A package signed with a counter the card already saw (a replay): the card refuses
 * it with its own signed error, which reaches the eIM; the next package runs, the poll
 * succeeds, esimd and the card carry on. */
static void
test_replay (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) replayed = esim_test_eim_package_new_psmos ();
	g_autoptr(EsimTestEimPackage) next = esim_test_eim_package_new_psmos ();
	EsimTestEimFault fault = {
		.kind = ESIM_TEST_EIM_FAULT_WRONG_COUNTER, .count = 1, .value = 0,
		.functions = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE,
	};
	const EsimTestEimRecord *record;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *state = NULL;
	gint status = -1;

	esim_test_eim_package_add_list_profile_info (replayed, NULL);
	esim_test_eim_package_add_list_profile_info (next, NULL);
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&replayed));
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&next));
	esim_test_eim_add_fault (f->eim, &fault);
	out = esimd_test_harness_run_cli (f->h, &status, &err, "eim", "poll", NULL);
	g_test_message ("esimcli: %s%s", out, err);
	g_assert_cmpint (status, ==, 0);
	g_assert_nonnull (strstr (out, "2 package(s) executed"));
	record = last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR);
	/* replayError (4) or counterValueOutOfRange (6), signed by the card */
	g_assert_true (record->error_code == 4 || record->error_code == 6);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	record = last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_nonnull (strstr (record->summary, "listProfileInfo"));
	state = get_string (f, EUICC_PATH, IFACE_EUICC, "State");
	g_assert_cmpstr (state, ==, "ready");
}

/* esimd is killed after LoadEuiccPackage and before the eIM got the result: the result
 * stayed on the card, and the restarted esimd delivers it, once. */
static void
test_killed_before_result (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = {
		.kind = ESIM_TEST_EIM_FAULT_DROP_CONNECTION,
		.functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT,
	};
	g_autofree gchar *disabled = profile_in_state (f, "disabled");
	g_autoptr(GArray) acknowledged = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	const EsimTestEimRecord *record;

	esim_test_eim_add_fault (f->eim, &fault);
	queue_enable (f, disabled, FALSE);
	/* the package executes; the result's delivery is cut off */
	reply = call (f, f->eim_path, IFACE_EIM, "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"), &error);
	g_assert_null (reply);
	g_assert_true (g_dbus_error_is_remote_error (error));
	g_assert_cmpstr (g_dbus_error_get_remote_error (error), ==,
	                 ERROR_PREFIX "ServerUnreachable");
	g_assert_cmpuint (f->provides, >=, 1);
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, TRUE), ==, 0);
	esimd_test_harness_kill_daemon (f->h);

	esim_test_eim_clear_faults (f->eim);
	esimd_test_harness_start_daemon (f->h, 1, NULL);
	/* esimd starting polls its eIMs at once */
	esim_test_wait_until_ms (30000,
	                         count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                        TRUE) >= 1,
	                         "the result after the restart");
	record = last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	esim_test_wait_until (record->acknowledged, "the acknowledgement");
	/* another poll: nothing is delivered again */
	g_clear_pointer (&reply, g_variant_unref);
	g_clear_error (&error);
	reply = call (f, f->eim_path, IFACE_EIM, "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, TRUE), ==, 1);
	g_assert_false (record->duplicate);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	acknowledged = esim_test_eim_get_acknowledged (f->eim, f->eid);
	g_assert_cmpuint (acknowledged->len, ==, 1);
	g_assert_true (profile_is_enabled (f, disabled));
}

static void
on_properties_changed (GDBusConnection *connection, const gchar *sender, const gchar *path,
                       const gchar *iface, const gchar *signal, GVariant *params,
                       gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GVariant) changed = NULL;
	const gchar *changed_iface;
	const gchar *state = NULL;

	g_variant_get (params, "(&s@a{sv}@as)", &changed_iface, &changed, NULL);
	if (g_strcmp0 (changed_iface, IFACE_PROFILE) != 0 ||
	    !g_variant_lookup (changed, "State", "&s", &state) || g_strcmp0 (state, "enabled") != 0)
		return;
	/* the profile enabled before the switch is enabled again: the rollback ran */
	if (f->rollback_seen == 0 && f->enabled_before != NULL) {
		g_autofree gchar *iccid = NULL;
		GVariant *value = g_dbus_connection_call_sync (connection, ESIMD_TEST_BUS_NAME, path,
		                                               "org.freedesktop.DBus.Properties",
		                                               "Get",
		                                               g_variant_new ("(ss)", IFACE_PROFILE,
		                                                              "Iccid"),
		                                               G_VARIANT_TYPE ("(v)"),
		                                               G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
		                                               NULL);
		if (value != NULL) {
			g_autoptr(GVariant) inner = NULL;

			g_variant_get (value, "(v)", &inner);
			iccid = g_variant_dup_string (inner, NULL);
			g_variant_unref (value);
		}
		if (g_strcmp0 (iccid, f->enabled_before) != 0)
			return;
		f->rollback_seen = g_get_monotonic_time ();
		if (f->clear_on_rollback)
			esim_test_eim_clear_faults (f->eim);
	}
}

/* An enable with rollbackFlag, and the eIM unreachable on the new profile: esimd runs
 * ProfileRollback and the eIM gets the rollback's result within RollbackTimeout. */
static void
test_rollback (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = {
		.kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS, .value = 503,
		.functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT |
		             ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE |
		             ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION,
	};
	g_autofree gchar *disabled = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	gint64 switched, delivered;
	/* on a slow machine (ESIM_TEST_WAIT_SCALE) esimd gets more time, and so does the check */
	const guint rollback_timeout_s = esim_test_wait_scaled_ms (6000) / 1000;
	g_autofree gchar *config = g_strdup_printf ("PollInterval=1\nBackoffMax=2\n"
	                                            "RollbackTimeout=%u\n", rollback_timeout_s);

	fixture_start (f, config, TRUE);
	fixture_add_eim (f);
	disabled = profile_in_state (f, "disabled");
	f->enabled_before = profile_in_state (f, "enabled");
	f->clear_on_rollback = TRUE;
	f->props_id = g_dbus_connection_signal_subscribe (esimd_test_harness_get_connection (f->h),
	                                                  NULL, "org.freedesktop.DBus.Properties",
	                                                  "PropertiesChanged", NULL, NULL,
	                                                  G_DBUS_SIGNAL_FLAGS_NONE,
	                                                  on_properties_changed, f, NULL);
	queue_enable (f, disabled, TRUE);
	/* the package is fetched and its result delivered, then the eIM is out of reach:
	 * from the first request after that result, so that no poll on the new profile
	 * gets through, however soon esimd makes it */
	fault.count = 0;
	f->fault_after_provide = &fault;
	reply = call (f, f->eim_path, IFACE_EIM, "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"), &error);
	g_assert_no_error (error);
	g_assert_nonnull (reply);
	switched = g_get_monotonic_time ();
	if (f->fault_after_provide != NULL) {
		esim_test_eim_add_fault (f->eim, &fault);
		f->fault_after_provide = NULL;
	}
	g_assert_true (profile_is_enabled (f, disabled));
	esim_test_wait_until_ms (rollback_timeout_s * 2000, f->rollback_seen != 0,
	                         "the rollback");
	esim_test_wait_until_ms (rollback_timeout_s * 2000,
	                         count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                        FALSE) >= 2,
	                         "the enable's and the rollback's results");
	delivered = g_get_monotonic_time ();
	g_test_message ("rollback after %" G_GINT64_FORMAT " ms, reported after %" G_GINT64_FORMAT
	                " ms", (f->rollback_seen - switched) / 1000, (delivered - switched) / 1000);
	g_assert_cmpint (delivered - switched, <=, (gint64) rollback_timeout_s * G_USEC_PER_SEC);
	g_assert_true (profile_is_enabled (f, f->enabled_before));
	g_assert_nonnull (strstr (last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT)->summary,
	                          "rollback"));
}

/* esimd --poll-once, until it exits; its exit status. */
static gint
run_poll_once (Fixture *f)
{
	const gchar *const once[] = { "--poll-once", NULL };
	gint status = -1;

	esimd_test_harness_spawn_daemon (f->h, 1, once);
	esim_test_wait_until_ms (60000, esimd_test_harness_daemon_exited (f->h, &status),
	                         "esimd --poll-once to exit");
	esimd_test_harness_stop_daemon (f->h);
	return status;
}

/* esimd --poll-once: one cycle on every eUICC with an eIM, then the documented status. */
static void
test_poll_once (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = {
		.kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS, .value = 500,
		.functions = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE,
	};
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *config = NULL;
	guint before;

	/* no eIM yet: 3 */
	fixture_start (f, NULL, FALSE);
	g_assert_cmpint (run_poll_once (f), ==, EXIT_NO_EIM);

	/* with an eIM (added through a running esimd) and a package: 0, executed, delivered */
	esimd_test_harness_start_daemon (f->h, 1, NULL);
	fixture_add_eim (f);
	disabled = profile_in_state (f, "disabled");
	esimd_test_harness_stop_daemon (f->h);
	queue_enable (f, disabled, FALSE);
	before = f->get_times->len;
	g_assert_cmpint (run_poll_once (f), ==, 0);
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, TRUE), ==, 1);
	g_assert_true (last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT)->acknowledged);
	g_assert_cmpuint (esim_test_eim_get_queue_length (f->eim, f->eid), ==, 0);
	/* one cycle, which an enable ends (the data connection is about to change) */
	g_assert_cmpuint (f->get_times->len - before, ==, 1);

	/* the eIM fails: 1 */
	esim_test_eim_add_fault (f->eim, &fault);
	g_assert_cmpint (run_poll_once (f), ==, EXIT_POLL_FAILED);
	esim_test_eim_clear_faults (f->eim);

	/* a bad configuration: 2 */
	config = esimd_test_harness_config_path (f->h);
	g_assert_true (g_file_set_contents (config, "[eim]\nPollInterval=never\n", -1, NULL));
	g_assert_cmpint (run_poll_once (f), ==, EXIT_USAGE);
}

/* The same poll over the JSON binding. */
static void
test_json (Fixture *f, gconstpointer data)
{
	g_autofree gchar *disabled = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) result = NULL;
	g_autoptr(GError) error = NULL;
	const EsimTestEimRecord *record;
	guint32 packages = 0;

	fixture_start (f, "Binding=json\n", TRUE);
	fixture_add_eim (f);
	disabled = profile_in_state (f, "disabled");
	queue_enable (f, disabled, FALSE);
	reply = call (f, EUICC_PATH, IFACE_EUICC, "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"), &error);
	g_assert_no_error (error);
	result = g_variant_get_child_value (reply, 0);
	g_assert_true (g_variant_lookup (result, "packages", "u", &packages));
	g_assert_cmpuint (packages, ==, 1);
	record = last_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_nonnull (record);
	g_assert_cmpint (record->binding, ==, ESIM_TEST_EIM_BINDING_JSON);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_true (profile_is_enabled (f, disabled));
}

static gboolean
state_change_told (Fixture *f, gint64 cause)
{
	gint64 last_cause = -1;

	return esim_test_eim_get_state_changes (f->eim, f->eid, &last_cause) == 1 &&
	       last_cause == cause;
}

/* A user's enable on an eUICC with an eIM: the eIM is polled soon with
 * notifyStateChange, stateChangeCause local (3), once. */
static void
test_local_change (Fixture *f, gconstpointer data)
{
	g_autofree gchar *disabled = profile_in_state (f, "disabled");
	g_autofree gchar *out = NULL;
	gint64 last_cause = -1;
	gint status = -1;

	g_assert_cmpuint (esim_test_eim_get_state_changes (f->eim, f->eid, &last_cause), ==, 0);
	out = esimd_test_harness_run_cli (f->h, &status, NULL, "profile", "enable", disabled, NULL);
	g_assert_cmpint (status, ==, 0);
	esim_test_wait_until (state_change_told (f, 3), "notifyStateChange with a local cause");
	/* the eIM heard it: the next poll says nothing of it */
	g_clear_pointer (&out, g_free);
	out = esimd_test_harness_run_cli (f->h, &status, NULL, "eim", "poll", NULL);
	g_assert_cmpint (status, ==, 0);
	g_assert_cmpuint (esim_test_eim_get_state_changes (f->eim, f->eid, &last_cause), ==, 1);
}

/* Manager.Poll() polls every eUICC with an eIM; without any it is NotFound. */
static void
test_manager_poll (Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = -1;
	guint before;

	fixture_start (f, NULL, TRUE);
	reply = call (f, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "Poll", NULL, NULL, &error);
	g_assert_null (reply);
	g_assert_true (g_dbus_error_is_remote_error (error));
	g_assert_cmpstr (g_dbus_error_get_remote_error (error), ==, ERROR_PREFIX "NotFound");
	g_clear_error (&error);
	/* the same through esimcli */
	out = esimd_test_harness_run_cli (f->h, &status, &err, "eim", "poll", NULL);
	g_assert_cmpint (status, ==, 10);
	g_assert_nonnull (strstr (err, "no eUICC has an eIM"));
	fixture_add_eim (f);
	before = f->get_times->len;
	reply = call (f, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "Poll", NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (f->get_times->len, ==, before + 1);
}

int
main (int argc, char *argv[])
{
	EsimTestPkiOptions options = { .smdp_host = HOST };
	g_autoptr(GError) error = NULL;
	int ret;

	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-eim-daemon-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);

	g_test_add ("/esimd/eim/poll-enable", Fixture, NULL, fixture_set_up, test_poll_enable,
	            fixture_tear_down);
	g_test_add ("/esimd/eim/local-change", Fixture, NULL, fixture_set_up, test_local_change,
	            fixture_tear_down);
	g_test_add ("/esimd/eim/killed-before-result", Fixture, NULL, fixture_set_up,
	            test_killed_before_result, fixture_tear_down);
	g_test_add ("/esimd/eim/backoff", Fixture, NULL, NULL, test_backoff, fixture_tear_down);
	g_test_add ("/esimd/eim/package-error", Fixture, NULL, NULL, test_package_error,
	            fixture_tear_down);
	g_test_add ("/esimd/eim/replay", Fixture, NULL, fixture_set_up, test_replay,
	            fixture_tear_down);
	g_test_add ("/esimd/eim/rollback", Fixture, NULL, NULL, test_rollback, fixture_tear_down);
	g_test_add ("/esimd/eim/poll-once", Fixture, NULL, NULL, test_poll_once, fixture_tear_down);
	g_test_add ("/esimd/eim/json", Fixture, NULL, NULL, test_json, fixture_tear_down);
	g_test_add ("/esimd/eim/manager-poll", Fixture, NULL, NULL, test_manager_poll,
	            fixture_tear_down);
	ret = g_test_run ();
	{
		g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", pki_dir);
		g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
	}
	g_free (pki_dir);
	return ret;
}
