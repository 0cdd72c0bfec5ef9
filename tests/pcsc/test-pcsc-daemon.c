/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real esimd attaching PC/SC readers, end to end: the private pcscd,
 * vpcd and esimd-vpcd-bridge of pcsc-fixture.c on one side, esimd and
 * esimcli on a private session bus (tests/dbus harness) on the other.
 *
 * The bridge's card starts with two profiles, one enabled; the tests look
 * up which one is enabled when they need it, so they do not depend on the
 * order they run in.
 */

#include <signal.h>
#include <string.h>

#include <winscard.h>
#include <json-glib/json-glib.h>

#include "esimd-test-harness.h"
#include "pcsc-fixture.h"

#define READER_CARD  PCSC_FIXTURE_READER_CARD
#define READER_EMPTY PCSC_FIXTURE_READER_EMPTY

#define MANAGER_IFACE   "org.freedesktop.Esimd1"
#define EUICC_IFACE     "org.freedesktop.Esimd1.Euicc"
#define CARD_ERROR_NAME "org.freedesktop.Esimd1.Error.CardError"
#define CALL_TIMEOUT_MS 15000
/* how esimd's log marks a warning line */
#define LOG_WARNING_MARK ": warning "

/* exit codes of esimcli(1) */
#define CLI_EXIT_OK    0
#define CLI_EXIT_ERROR 1

static gchar *skip_reason;

#define SKIP_IF_NEEDED()                                  \
	G_STMT_START {                                    \
		if (skip_reason != NULL) {                \
			g_test_skip (skip_reason);        \
			return;                           \
		}                                         \
	} G_STMT_END

/* ------------------------------------------------------------------------ */
/* the card, as its state file says */

/* The ICCIDs of the enabled and of the disabled profile on the bridge's card. */
static void
card_iccids (gchar **enabled, gchar **disabled)
{
	g_autoptr(GPtrArray) profiles = pcsc_fixture_saved_profiles ();

	g_assert_cmpuint (profiles->len, ==, 2);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);

		if (info->state == ESIM_PROFILE_STATE_ENABLED)
			*enabled = g_strdup (info->iccid);
		else
			*disabled = g_strdup (info->iccid);
	}
	g_assert_nonnull (*enabled);
	g_assert_nonnull (*disabled);
}

/* ------------------------------------------------------------------------ */
/* esimd and esimcli */

/* A session-bus harness whose esimd never looks for modems; @modem_config
 * adds to its [modem] group (SwitchTimeout). */
static EsimdTestHarness *
harness_new_full (const gchar *modem_config, const gchar *pcsc_config)
{
	EsimdTestHarness *h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *config_path = esimd_test_harness_config_path (h);
	g_autofree gchar *config = g_strdup_printf ("[modem]\nEnabled=false\n%s\n[pcsc]\n%s",
	                                            modem_config != NULL ? modem_config : "",
	                                            pcsc_config != NULL ? pcsc_config : "");

	g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
	return h;
}

static EsimdTestHarness *
harness_new (const gchar *pcsc_config)
{
	return harness_new_full (NULL, pcsc_config);
}

/* Runs esimcli, asserts its exit status and returns stdout (@err_out: stderr). */
static gchar *
cli_expect (EsimdTestHarness *h, gint expected, gchar **err_out, const gchar *first, ...)
	G_GNUC_NULL_TERMINATED;

static gchar *
cli_expect (EsimdTestHarness *h, gint expected, gchar **err_out, const gchar *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autofree gchar *err = NULL;
	gint status = -1;
	va_list args;
	gchar *out;

	va_start (args, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	va_end (args);
	g_ptr_array_add (argv, NULL);

	out = esimd_test_harness_run_cli_argv (h, (const gchar *const *) argv->pdata, &status, &err);
	if (status != expected)
		g_printerr ("esimcli %s…: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s\n", first,
		            status, expected, out, err);
	g_assert_cmpint (status, ==, expected);
	if (err_out != NULL)
		*err_out = g_steal_pointer (&err);
	return out;
}

static GVariant *
get_property (EsimdTestHarness *h, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariant *value = NULL;

	reply = g_dbus_connection_call_sync (esimd_test_harness_get_connection (h),
	                                     ESIMD_TEST_BUS_NAME, path,
	                                     "org.freedesktop.DBus.Properties", "Get",
	                                     g_variant_new ("(ss)", iface, name),
	                                     G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
	                                     CALL_TIMEOUT_MS, NULL, &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(v)", &value);
	return value;
}

static gchar *
get_string_property (EsimdTestHarness *h, const gchar *path, const gchar *iface,
                     const gchar *name)
{
	g_autoptr(GVariant) value = get_property (h, path, iface, name);

	g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING));
	return g_variant_dup_string (value, NULL);
}

/* The Manager's Euiccs. */
static GStrv
get_euiccs (EsimdTestHarness *h)
{
	g_autoptr(GVariant) value = get_property (h, ESIMD_TEST_ROOT_PATH, MANAGER_IFACE, "Euiccs");

	g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH_ARRAY));
	return g_variant_dup_objv (value, NULL);
}

/* Asserts that esimd shows exactly the bridge's card, through PC/SC; returns its path. */
static gchar *
assert_one_pcsc_euicc (EsimdTestHarness *h)
{
	g_auto(GStrv) euiccs = get_euiccs (h);
	g_autofree gchar *transport = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *state = NULL;

	g_assert_cmpuint (g_strv_length (euiccs), ==, 1);
	transport = get_string_property (h, euiccs[0], EUICC_IFACE, "Transport");
	eid = get_string_property (h, euiccs[0], EUICC_IFACE, "Eid");
	state = get_string_property (h, euiccs[0], EUICC_IFACE, "State");
	g_assert_cmpstr (transport, ==, "pcsc");
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	g_assert_cmpstr (state, ==, "ready");
	return g_strdup (euiccs[0]);
}

static JsonNode *
parse_json (const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new ();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data (parser, text, -1, &error);
	g_assert_no_error (error);
	return json_node_copy (json_parser_get_root (parser));
}

/* `esimcli -s -o json profile list`: asserts two profiles, @enabled enabled
 * and @disabled disabled. */
static void
assert_cli_profiles (EsimdTestHarness *h, const gchar *enabled, const gchar *disabled)
{
	g_autofree gchar *out = cli_expect (h, CLI_EXIT_OK, NULL, "-s", "-o", "json", "profile",
	                                    "list", NULL);
	g_autoptr(JsonNode) root = parse_json (out);
	JsonArray *array;
	guint seen = 0;

	g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
	array = json_node_get_array (root);
	g_assert_cmpuint (json_array_get_length (array), ==, 2);
	for (guint i = 0; i < json_array_get_length (array); i++) {
		JsonObject *profile = json_array_get_object_element (array, i);
		const gchar *iccid = json_object_get_string_member (profile, "iccid");
		const gchar *state = json_object_get_string_member (profile, "state");

		if (g_strcmp0 (iccid, enabled) == 0) {
			g_assert_cmpstr (state, ==, "enabled");
			seen |= 1;
		} else if (g_strcmp0 (iccid, disabled) == 0) {
			g_assert_cmpstr (state, ==, "disabled");
			seen |= 2;
		} else {
			g_printerr ("unexpected profile %s\n", iccid);
			g_assert_not_reached ();
		}
	}
	g_assert_cmpuint (seen, ==, 3);
}

/* Asserts that the state file has @enabled enabled and @disabled disabled. */
static void
assert_saved_profiles (const gchar *enabled, const gchar *disabled)
{
	g_autoptr(GPtrArray) saved = pcsc_fixture_saved_profiles ();

	g_assert_cmpint (pcsc_fixture_profile_state (saved, enabled), ==,
	                 ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (pcsc_fixture_profile_state (saved, disabled), ==,
	                 ESIM_PROFILE_STATE_DISABLED);
}

static guint
count_occurrences (const gchar *text, const gchar *needle)
{
	guint n = 0;

	for (const gchar *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
		n++;
	return n;
}

/* The log line holding @needle (once, on one line), or a test failure. */
static gchar *
log_line_with (EsimdTestHarness *h, const gchar *needle)
{
	g_autofree gchar *log = esimd_test_harness_read_log (h);
	g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
	gchar *found = NULL;

	if (count_occurrences (log, needle) != 1) {
		g_printerr ("the esimd log has %u times “%s”, expected once\n",
		            count_occurrences (log, needle), needle);
		g_assert_not_reached ();
	}
	for (guint i = 0; lines[i] != NULL && found == NULL; i++) {
		if (strstr (lines[i], needle) != NULL)
			found = g_strdup (lines[i]);
	}
	return found;
}

/* ------------------------------------------------------------------------ */
/* tests */

/* --pcsc-reader: the card is an eUICC on the bus and esimcli switches its
 * profiles; the bridge saves the switch. */
static void
test_pcsc_daemon_named_reader (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *list = NULL;
	g_autofree gchar *transport = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *done = NULL;
	g_auto(GStrv) lines = NULL;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	h = harness_new (NULL);
	esimd_test_harness_start_daemon (h, 0, args);
	path = assert_one_pcsc_euicc (h);

	/* a header and one eUICC, in the TRANSPORT column */
	list = cli_expect (h, CLI_EXIT_OK, NULL, "euicc", "list", NULL);
	lines = g_strsplit (g_strchomp (list), "\n", -1);
	g_assert_cmpuint (g_strv_length (lines), ==, 2);
	g_assert_nonnull (strstr (lines[0], "TRANSPORT"));
	g_assert_nonnull (strstr (lines[1], " pcsc "));
	g_assert_nonnull (strstr (lines[1], " ready "));
	transport = cli_expect (h, CLI_EXIT_OK, NULL, "-g", "transport", "euicc", "list", NULL);
	g_assert_cmpstr (transport, ==, "pcsc\n");
	eid = cli_expect (h, CLI_EXIT_OK, NULL, "-s", "-g", "eid", "euicc", "show", NULL);
	g_assert_cmpstr (g_strchomp (eid), ==, pcsc_fixture_get_eid ());

	assert_cli_profiles (h, enabled, disabled);

	done = cli_expect (h, CLI_EXIT_OK, NULL, "profile", "enable", disabled, NULL);
	g_assert_nonnull (strstr (done, "enabled"));
	assert_cli_profiles (h, disabled, enabled);

	esimd_test_harness_stop_daemon (h);
	assert_saved_profiles (disabled, enabled);
}

/* [pcsc] AutoDetect=true: the reader holding the eUICC, not the empty slot. */
static void
test_pcsc_daemon_auto_detect (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *log = NULL;

	SKIP_IF_NEEDED ();
	h = harness_new ("AutoDetect=true\n");
	esimd_test_harness_start_daemon (h, 0, NULL);
	path = assert_one_pcsc_euicc (h);

	log = esimd_test_harness_read_log (h);
	g_assert_nonnull (strstr (log, "PC/SC reader \"" READER_CARD "\""));
	g_assert_null (strstr (log, "PC/SC reader \"" READER_EMPTY "\""));
}

/* [pcsc] Readers= attaches a reader; --pcsc-reader replaces the list. */
static void
test_pcsc_daemon_config_readers (void)
{
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *path = NULL;
	g_autofree gchar *log = NULL;

	SKIP_IF_NEEDED ();
	{
		g_autoptr(EsimdTestHarness) h = harness_new ("Readers=" READER_CARD "\n");

		esimd_test_harness_start_daemon (h, 0, NULL);
		path = assert_one_pcsc_euicc (h);
	}
	{
		g_autoptr(EsimdTestHarness) h = harness_new ("Readers=no such reader\n");

		esimd_test_harness_start_daemon (h, 0, args);
		g_clear_pointer (&path, g_free);
		path = assert_one_pcsc_euicc (h);
		log = esimd_test_harness_read_log (h);
		g_assert_null (strstr (log, "no such reader"));
	}
}

/* esimd(8): "A reader that cannot be found is logged and skipped." esimd
 * starts, with one warning line naming the readers present, and attaches
 * the readers of the other names. */
static void
test_pcsc_daemon_unknown_reader (void)
{
	const gchar *unknown_only[] = { "--pcsc-reader=no such reader", NULL };
	const gchar *unknown_and_card[] = { "--pcsc-reader=no such reader",
	                                    "--pcsc-reader=" READER_CARD, NULL };
	const gchar *warning = "PC/SC reader “no such reader” not found (readers present: "
	                       "“" READER_CARD "”, “" READER_EMPTY "”): not attached";
	g_autofree gchar *path = NULL;

	SKIP_IF_NEEDED ();
	{
		g_autoptr(EsimdTestHarness) h = harness_new (NULL);
		g_auto(GStrv) euiccs = NULL;
		g_autofree gchar *line = NULL;
		g_autofree gchar *list = NULL;

		esimd_test_harness_start_daemon (h, 0, unknown_only);
		euiccs = get_euiccs (h);
		g_assert_cmpuint (g_strv_length (euiccs), ==, 0);
		line = log_line_with (h, warning);
		g_assert_nonnull (strstr (line, LOG_WARNING_MARK));
		list = cli_expect (h, CLI_EXIT_OK, NULL, "-g", "eid", "euicc", "list", NULL);
		g_assert_cmpstr (list, ==, "");
		g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
	}
	{
		g_autoptr(EsimdTestHarness) h = harness_new (NULL);
		g_autofree gchar *line = NULL;

		esimd_test_harness_start_daemon (h, 0, unknown_and_card);
		path = assert_one_pcsc_euicc (h);
		line = log_line_with (h, warning);
	}
}

typedef struct {
	GAsyncResult *res;
} CallWait;

static void
call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	CallWait *wait = user_data;

	wait->res = g_object_ref (res);
}

static gboolean
call_returned (gpointer user_data)
{
	return ((CallWait *) user_data)->res != NULL;
}

/* Asserts that @error is a CardError naming the reader; @what for messages. */
static void
assert_card_error (const GError *error, const gchar *what)
{
	g_autofree gchar *name = NULL;

	g_assert_nonnull (error);
	name = g_dbus_error_get_remote_error (error);
	g_test_message ("%s: %s", what, error->message);
	g_assert_cmpstr (name, ==, CARD_ERROR_NAME);
	g_assert_nonnull (strstr (error->message, "the eUICC cannot be reached"));
	g_assert_nonnull (strstr (error->message, "“" READER_CARD "”"));
}

/* The bridge dies in the middle of a command: the caller gets a CardError,
 * not a hang; the next operation fails at once the same way; esimd keeps
 * serving, and works again once the card is back. */
static void
test_pcsc_daemon_bridge_killed (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *owner = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *last_error = NULL;
	g_autofree gchar *transport = NULL;
	g_autofree gchar *state = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	CallWait wait = { 0 };
	gint64 started;
	gint status = -1;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	h = harness_new (NULL);
	esimd_test_harness_start_daemon (h, 0, args);
	path = assert_one_pcsc_euicc (h);
	owner = g_strdup (esimd_test_harness_get_name_owner (h));

	/* frozen, the bridge takes the first command of the enable (esimd opens
	 * the ISD-R per operation) and never answers it... */
	pcsc_fixture_freeze_bridge ();
	g_dbus_connection_call (esimd_test_harness_get_connection (h), ESIMD_TEST_BUS_NAME, path,
	                        EUICC_IFACE, "EnableProfile",
	                        g_variant_new ("(s@a{sv})", disabled,
	                                       g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
	                        NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, call_done, &wait);
	esim_test_spin (300);
	g_assert_null (wait.res);
	/* ...until it is killed: the call ends with a CardError */
	pcsc_fixture_stop_bridge (SIGKILL);
	esim_test_wait_until_func (CALL_TIMEOUT_MS, call_returned, &wait,
	                           "EnableProfile to return once the bridge was killed");
	reply = g_dbus_connection_call_finish (esimd_test_harness_get_connection (h), wait.res,
	                                       &error);
	g_clear_object (&wait.res);
	g_assert_null (reply);
	assert_card_error (error, "mid-command");
	g_clear_error (&error);

	/* with the card gone, the next operation fails at once, one clear line */
	pcsc_fixture_wait_card (FALSE);
	started = g_get_monotonic_time ();
	out = cli_expect (h, CLI_EXIT_ERROR, &err, "profile", "enable", disabled, NULL);
	g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_TIME_SPAN_SECOND);
	g_test_message ("esimcli: %s", err);
	g_assert_true (g_str_has_prefix (err, "Error: "));
	g_assert_nonnull (strstr (err, "the eUICC cannot be reached"));
	g_assert_nonnull (strstr (err, "“" READER_CARD "”"));
	g_assert_cmpuint (count_occurrences (g_strchomp (err), "\n"), ==, 0);

	/* esimd serves on, the same process, and says what went wrong */
	g_assert_false (esimd_test_harness_daemon_exited (h, &status));
	g_assert_cmpstr (esimd_test_harness_get_name_owner (h), ==, owner);
	transport = cli_expect (h, CLI_EXIT_OK, NULL, "-g", "transport", "euicc", "list", NULL);
	g_assert_cmpstr (transport, ==, "pcsc\n");
	last_error = get_string_property (h, path, EUICC_IFACE, "LastError");
	g_assert_nonnull (strstr (last_error, "“" READER_CARD "”"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	/* the card is out: profile list still shows what esimd knew, says on stderr that
	 * the eUICC is absent, and exits 1 */
	out = cli_expect (h, CLI_EXIT_ERROR, &err, "profile", "list", NULL);
	g_assert_nonnull (strstr (out, enabled));
	g_assert_nonnull (strstr (out, disabled));
	g_assert_nonnull (strstr (err, "is absent"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	/* the card is back: the backend reconnects to it */
	pcsc_fixture_start_bridge ("t0");
	{
		const gchar *argv[] = { "profile", "enable", disabled, NULL };

		out = esimd_test_harness_run_cli_argv (h, argv, &status, &err);
	}
	/* the failed operation marked the eUICC unhealthy: this one reopens the ISD-R */
	g_assert_cmpint (status, ==, CLI_EXIT_OK);
	g_clear_pointer (&state, g_free);
	state = get_string_property (h, path, EUICC_IFACE, "State");
	g_assert_cmpstr (state, ==, "ready");
	assert_cli_profiles (h, disabled, enabled);
	esimd_test_harness_stop_daemon (h);
	assert_saved_profiles (disabled, enabled);
}

/* ---- the reader followed (issue 6, item 6) ---- */

#define PROFILE_IFACE "org.freedesktop.Esimd1.Profile"

typedef struct {
	EsimdTestHarness *h;
	const gchar      *path;
	const gchar      *state;
} StateWait;

static gboolean
euicc_state_is (gpointer user_data)
{
	StateWait *wait = user_data;
	g_autofree gchar *state = get_string_property (wait->h, wait->path, EUICC_IFACE, "State");

	return g_strcmp0 (state, wait->state) == 0;
}

/* Waits (reading properties only: no operation is asked for) until the
 * eUICC's State is @state. */
static void
wait_euicc_state (EsimdTestHarness *h, const gchar *path, const gchar *state, guint timeout_ms)
{
	StateWait wait = { h, path, state };

	if (!esim_test_wait_try (timeout_ms, euicc_state_is, &wait)) {
		g_autofree gchar *now = get_string_property (h, path, EUICC_IFACE, "State");

		g_printerr ("the eUICC's State is \"%s\"\n", now);
		esim_test_wait_fail (timeout_ms, "the eUICC's State to become \"%s\"", state);
	}
}

/* ICCID -> State of the eUICC's profiles, read from the bus. */
static GHashTable *
profile_states (EsimdTestHarness *h, const gchar *path)
{
	g_autoptr(GVariant) profiles = get_property (h, path, EUICC_IFACE, "Profiles");
	GHashTable *states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_autofree const gchar **paths = g_variant_get_objv (profiles, NULL);

	for (guint i = 0; paths[i] != NULL; i++)
		g_hash_table_insert (states,
		                     get_string_property (h, paths[i], PROFILE_IFACE, "Iccid"),
		                     get_string_property (h, paths[i], PROFILE_IFACE, "State"));
	return states;
}

static void
assert_profile_states (EsimdTestHarness *h, const gchar *path, const gchar *first_iccid,
                       const gchar *first_state, const gchar *second_iccid,
                       const gchar *second_state)
{
	g_autoptr(GHashTable) states = profile_states (h, path);

	g_assert_cmpuint (g_hash_table_size (states), ==, 2);
	g_assert_cmpstr (g_hash_table_lookup (states, first_iccid), ==, first_state);
	g_assert_cmpstr (g_hash_table_lookup (states, second_iccid), ==, second_state);
}

typedef struct {
	EsimdTestHarness *h;
	const gchar      *text;
} LogWait;

static gboolean
log_has (gpointer user_data)
{
	LogWait *wait = user_data;
	g_autofree gchar *log = esimd_test_harness_read_log (wait->h);

	return strstr (log, wait->text) != NULL;
}

static void
wait_log (EsimdTestHarness *h, const gchar *text, guint timeout_ms)
{
	LogWait wait = { h, text };

	esim_test_wait_until_func (timeout_ms, log_has, &wait, "the esimd log to say \"%s\"", text);
}

/* The card taken out: "absent" at once; put back: read again and its
 * profiles listed, all without a client asking for anything. */
static void
test_pcsc_daemon_follows_card (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *log = NULL;
	g_autofree gchar *eid = NULL;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	h = harness_new (NULL);
	esimd_test_harness_start_daemon (h, 0, args);
	path = assert_one_pcsc_euicc (h);

	pcsc_fixture_stop_bridge (SIGTERM);
	wait_euicc_state (h, path, "absent", 5000);
	wait_log (h, "the card was taken out of the reader", 1000);

	pcsc_fixture_start_bridge ("t0");
	wait_log (h, "a card was put into the reader: reading it", 5000);
	wait_euicc_state (h, path, "ready", 10000);
	eid = get_string_property (h, path, EUICC_IFACE, "Eid");
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	assert_profile_states (h, path, enabled, "enabled", disabled, "disabled");

	/* nobody asked: esimd followed the reader on its own */
	log = esimd_test_harness_read_log (h);
	g_assert_null (strstr (log, "requested by"));
}

/* Between operations the reader is free: another application may even take
 * the card exclusively; esimd's operations meanwhile fail cleanly and work
 * again once it is given back. */
static void
test_pcsc_daemon_reader_free_when_idle (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	SCARDCONTEXT context;
	SCARDHANDLE card;
	DWORD protocol = 0;
	LONG rv;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	h = harness_new (NULL);
	esimd_test_harness_start_daemon (h, 0, args);
	path = assert_one_pcsc_euicc (h);

	g_assert_cmpint (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context), ==,
	                 SCARD_S_SUCCESS);
	rv = SCardConnect (context, READER_CARD, SCARD_SHARE_EXCLUSIVE,
	                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
	if (rv != SCARD_S_SUCCESS)
		g_printerr ("exclusive SCardConnect while esimd is idle: %s\n",
		            pcsc_stringify_error (rv));
	g_assert_cmpint (rv, ==, SCARD_S_SUCCESS);

	out = cli_expect (h, CLI_EXIT_ERROR, &err, "profile", "enable", disabled, NULL);
	g_test_message ("esimcli: %s", err);
	g_assert_nonnull (strstr (err, "held exclusively by another application"));
	g_assert_cmpint (SCardDisconnect (card, SCARD_LEAVE_CARD), ==, SCARD_S_SUCCESS);
	g_assert_cmpint (SCardReleaseContext (context), ==, SCARD_S_SUCCESS);

	g_clear_pointer (&out, g_free);
	out = cli_expect (h, CLI_EXIT_OK, NULL, "profile", "enable", disabled, NULL);
	wait_euicc_state (h, path, "ready", 10000);
	assert_profile_states (h, path, disabled, "enabled", enabled, "disabled");
	assert_saved_profiles (disabled, enabled);
}

/* A card that leaves the reader and comes back after a switch: the call
 * completes once esimd has read it again, with what it holds. */
static void
test_pcsc_daemon_switch_reinserts (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *bridge_log = NULL;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_start_bridge_with ("t0", "--reinsert-after-switch=1500");
	h = harness_new (NULL);
	esimd_test_harness_start_daemon (h, 0, args);
	path = assert_one_pcsc_euicc (h);

	out = cli_expect (h, CLI_EXIT_OK, NULL, "profile", "enable", disabled, NULL);
	bridge_log = pcsc_fixture_read_bridge_log ();
	g_assert_nonnull (strstr (bridge_log, "the card resets and leaves the reader"));
	/* what the reply stands on was read after the card came back */
	assert_profile_states (h, path, disabled, "enabled", enabled, "disabled");
	assert_saved_profiles (disabled, enabled);
	wait_euicc_state (h, path, "ready", 10000);
	assert_profile_states (h, path, disabled, "enabled", enabled, "disabled");

	esimd_test_harness_stop_daemon (h);
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_start_bridge ("t0");
}

/* The card does not come back within SwitchTimeout: the call fails, no
 * profile is shown as it was before, and the card is read as soon as it is
 * back. */
static void
test_pcsc_daemon_switch_card_stays_out (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *last_error = NULL;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_start_bridge_with ("t0", "--reinsert-after-switch=600000");
	h = harness_new_full ("SwitchTimeout=5\n", NULL);
	esimd_test_harness_start_daemon (h, 0, args);
	path = assert_one_pcsc_euicc (h);

	out = cli_expect (h, CLI_EXIT_ERROR, &err, "profile", "enable", disabled, NULL);
	g_test_message ("esimcli: %s", err);
	g_assert_nonnull (strstr (err, "did not come back within 5 s"));
	assert_profile_states (h, path, disabled, "unknown", enabled, "unknown");
	wait_euicc_state (h, path, "absent", 1000);
	last_error = get_string_property (h, path, EUICC_IFACE, "LastError");
	g_assert_nonnull (strstr (last_error, "did not come back"));

	/* back in: read by itself, showing the switch the card did make */
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_start_bridge ("t0");
	wait_euicc_state (h, path, "ready", 10000);
	assert_profile_states (h, path, disabled, "enabled", enabled, "disabled");
}

static gboolean
n_euiccs_is_one (gpointer user_data)
{
	g_auto(GStrv) euiccs = get_euiccs (user_data);

	return g_strv_length (euiccs) == 1;
}

/* No card at start: a named reader's eUICC is "absent", and is read once a
 * card comes; with AutoDetect the reader is probed when a card comes. */
static void
test_pcsc_daemon_card_later (void)
{
	const gchar *args[] = { "--pcsc-reader=" READER_CARD, NULL };
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *disabled = NULL;

	SKIP_IF_NEEDED ();
	card_iccids (&enabled, &disabled);
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_wait_card (FALSE);
	{
		g_autoptr(EsimdTestHarness) h = harness_new (NULL);
		g_auto(GStrv) euiccs = NULL;
		g_autofree gchar *last_error = NULL;

		esimd_test_harness_start_daemon (h, 0, args);
		euiccs = get_euiccs (h);
		g_assert_cmpuint (g_strv_length (euiccs), ==, 1);
		wait_euicc_state (h, euiccs[0], "absent", 5000);
		pcsc_fixture_start_bridge ("t0");
		wait_euicc_state (h, euiccs[0], "ready", 10000);
		assert_profile_states (h, euiccs[0], enabled, "enabled", disabled, "disabled");
		last_error = get_string_property (h, euiccs[0], EUICC_IFACE, "LastError");
		g_assert_cmpstr (last_error, ==, "");
		esimd_test_harness_stop_daemon (h);
	}
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_wait_card (FALSE);
	{
		g_autoptr(EsimdTestHarness) h = harness_new ("AutoDetect=true\n");
		g_auto(GStrv) euiccs = NULL;
		g_autofree gchar *path = NULL;

		esimd_test_harness_start_daemon (h, 0, NULL);
		euiccs = get_euiccs (h);
		g_assert_cmpuint (g_strv_length (euiccs), ==, 0);
		pcsc_fixture_start_bridge ("t0");
		esim_test_wait_until_func (10000, n_euiccs_is_one, h,
		                           "an eUICC for the card put into \"%s\"", READER_CARD);
		g_clear_pointer (&euiccs, g_strfreev);
		euiccs = get_euiccs (h);
		wait_euicc_state (h, euiccs[0], "ready", 10000);
		path = assert_one_pcsc_euicc (h);
		assert_profile_states (h, path, enabled, "enabled", disabled, "disabled");
	}
}

int
main (int argc, char **argv)
{
	gint ret;

	g_test_init (&argc, &argv, NULL);
	pcsc_fixture_setup ("t0", &skip_reason);

	g_test_add_func ("/esimd/pcsc/named-reader", test_pcsc_daemon_named_reader);
	g_test_add_func ("/esimd/pcsc/auto-detect", test_pcsc_daemon_auto_detect);
	g_test_add_func ("/esimd/pcsc/config-readers", test_pcsc_daemon_config_readers);
	g_test_add_func ("/esimd/pcsc/unknown-reader", test_pcsc_daemon_unknown_reader);
	g_test_add_func ("/esimd/pcsc/bridge-killed", test_pcsc_daemon_bridge_killed);
	g_test_add_func ("/esimd/pcsc/follows-card", test_pcsc_daemon_follows_card);
	g_test_add_func ("/esimd/pcsc/card-later", test_pcsc_daemon_card_later);
	g_test_add_func ("/esimd/pcsc/reader-free-when-idle",
	                 test_pcsc_daemon_reader_free_when_idle);
	g_test_add_func ("/esimd/pcsc/switch-reinserts", test_pcsc_daemon_switch_reinserts);
	g_test_add_func ("/esimd/pcsc/switch-card-stays-out",
	                 test_pcsc_daemon_switch_card_stays_out);
	ret = g_test_run ();

	pcsc_fixture_teardown (ret != 0);
	return ret;
}
