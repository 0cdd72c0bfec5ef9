/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli against the real esimd on a private session bus (tests/dbus harness). */

#include <signal.h>
#include <string.h>
#include <sys/types.h>

#include <json-glib/json-glib.h>

#include "esimd-test-harness.h"

/* exit codes of esimcli(1) */
#define EXIT_OK          0
#define EXIT_USAGE       2
#define EXIT_TIMEOUT     3
#define EXIT_NOT_RUNNING 8
#define EXIT_NOT_FOUND   10

/* a well-formed ICCID that no demo card carries */
#define UNKNOWN_ICCID "89000000000000000000"

static gchar *
cli_va (EsimdTestHarness *h, gint *status, gchar **err, const gchar *first, va_list args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();

	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	g_ptr_array_add (argv, NULL);
	return esimd_test_harness_run_cli_argv (h, (const gchar *const *) argv->pdata, status, err);
}

/* Runs esimcli, asserts its exit status and returns stdout. */
static gchar *
cli_expect (EsimdTestHarness *h, gint expected, gchar **err_out, const gchar *first, ...)
	G_GNUC_NULL_TERMINATED;

static gchar *
cli_expect (EsimdTestHarness *h, gint expected, gchar **err_out, const gchar *first, ...)
{
	va_list args;
	gint status = -1;
	g_autofree gchar *err = NULL;
	gchar *out;

	va_start (args, first);
	out = cli_va (h, &status, &err, first, args);
	va_end (args);
	if (status != expected)
		g_printerr ("esimcli %s…: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s\n", first,
			    status, expected, out, err);
	g_assert_cmpint (status, ==, expected);
	if (err_out != NULL)
		*err_out = g_steal_pointer (&err);
	return out;
}

static guint
count_lines (const gchar *text)
{
	guint n = 0;

	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			n++;
	}
	return n;
}

/* byte offset of @word in @line, -1 if absent */
static gint
column_of (const gchar *line, const gchar *word)
{
	const gchar *found = strstr (line, word);
	return found != NULL ? (gint) (found - line) : -1;
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

/* `esimcli -o json profile list` as a JSON array */
static JsonNode *
list_profiles (EsimdTestHarness *h)
{
	g_autofree gchar *out = cli_expect (h, EXIT_OK, NULL, "-o", "json", "profile", "list",
					    NULL);
	JsonNode *root = parse_json (out);

	g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
	return root;
}

/* the ICCID of the first profile in @state, full */
static gchar *
find_iccid (EsimdTestHarness *h, const gchar *state)
{
	g_autoptr(JsonNode) root = list_profiles (h);
	JsonArray *array = json_node_get_array (root);

	for (guint i = 0; i < json_array_get_length (array); i++) {
		JsonObject *profile = json_array_get_object_element (array, i);
		if (g_strcmp0 (json_object_get_string_member (profile, "state"), state) == 0)
			return g_strdup (json_object_get_string_member (profile, "iccid"));
	}
	return NULL;
}

static const gchar *
profile_state (JsonNode *root, const gchar *iccid)
{
	JsonArray *array = json_node_get_array (root);

	for (guint i = 0; i < json_array_get_length (array); i++) {
		JsonObject *profile = json_array_get_object_element (array, i);
		if (g_strcmp0 (json_object_get_string_member (profile, "iccid"), iccid) == 0)
			return json_object_get_string_member (profile, "state");
	}
	return NULL;
}

static EsimdTestHarness *
harness_with_daemon (guint n_cards)
{
	EsimdTestHarness *h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);

	esimd_test_harness_start_daemon (h, n_cards, NULL);
	return h;
}

static void
test_json_list (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *out = cli_expect (h, EXIT_OK, NULL, "-o", "json", "profile", "list", NULL);
	g_autoptr(JsonNode) root = parse_json (out);
	JsonArray *array;
	guint n_enabled = 0;

	g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
	array = json_node_get_array (root);
	g_assert_cmpuint (json_array_get_length (array), >=, 2);
	for (guint i = 0; i < json_array_get_length (array); i++) {
		JsonObject *profile = json_array_get_object_element (array, i);
		const gchar *state = json_object_get_string_member (profile, "state");

		g_assert_nonnull (json_object_get_string_member (profile, "iccid"));
		g_assert_nonnull (json_object_get_string_member (profile, "name"));
		g_assert_true (g_strcmp0 (state, "enabled") == 0 || g_strcmp0 (state, "disabled") == 0);
		g_assert_true (json_object_has_member (profile, "class"));
		g_assert_true (json_object_has_member (profile, "provider"));
		g_assert_true (json_object_has_member (profile, "nickname"));
		/* one eUICC: no EUICC column by default */
		g_assert_false (json_object_has_member (profile, "euicc"));
		if (g_strcmp0 (state, "enabled") == 0)
			n_enabled++;
	}
	g_assert_cmpuint (n_enabled, ==, 1);
}

static void
test_human_and_terse (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *human = cli_expect (h, EXIT_OK, NULL, "profile", "list", NULL);
	g_autofree gchar *terse = cli_expect (h, EXIT_OK, NULL, "-t", "profile", "list", NULL);
	g_autofree gchar *values = cli_expect (h, EXIT_OK, NULL, "-g", "state,CLASS", "profile",
					       "list", NULL);
	g_autofree gchar *show = NULL;
	g_auto(GStrv) human_lines = g_strsplit (human, "\n", -1);
	g_auto(GStrv) terse_lines = g_strsplit (terse, "\n", -1);
	g_auto(GStrv) value_lines = g_strsplit (values, "\n", -1);
	g_autofree gchar *iccid = find_iccid (h, "enabled");

	/* header, then one row per profile; columns aligned under the header */
	g_assert_true (g_str_has_prefix (human_lines[0], "ICCID"));
	g_assert_nonnull (strstr (human_lines[0], "STATE"));
	g_assert_nonnull (strstr (human_lines[0], "NAME"));
	g_assert_nonnull (strstr (human_lines[0], "PROVIDER"));
	g_assert_nonnull (strstr (human_lines[0], "NICKNAME"));
	g_assert_nonnull (strstr (human_lines[0], "CLASS"));
	g_assert_cmpuint (count_lines (human), >=, 3);
	g_assert_cmpint (column_of (human_lines[0], "STATE"), ==,
			 MAX (column_of (human_lines[1], " enabled "),
			      column_of (human_lines[1], " disabled ")) + 1);

	/* terse: no header, six ':'-separated values */
	g_assert_cmpuint (count_lines (terse), ==, count_lines (human) - 1);
	g_assert_null (strstr (terse, "ICCID"));
	for (guint i = 0; terse_lines[i] != NULL && *terse_lines[i] != '\0'; i++) {
		g_auto(GStrv) parts = g_strsplit (terse_lines[i], ":", -1);
		g_assert_cmpuint (g_strv_length (parts), ==, 6);
	}

	/* -g: the values asked for, in that order */
	g_assert_cmpuint (count_lines (values), ==, count_lines (terse));
	for (guint i = 0; value_lines[i] != NULL && *value_lines[i] != '\0'; i++) {
		g_assert_true (g_str_has_prefix (value_lines[i], "enabled:") ||
			       g_str_has_prefix (value_lines[i], "disabled:"));
	}

	/* colours only when asked (NO_COLOR is set by the test environment) */
	g_assert_null (strchr (human, '\033'));
	{
		g_autofree gchar *colored = cli_expect (h, EXIT_OK, NULL, "-c", "yes", "profile",
							"list", NULL);
		g_assert_true (g_str_has_prefix (colored, "\033[1mICCID\033[0m"));
	}

	/* show: FIELD: value block; keyvalue: profile.field: value */
	show = cli_expect (h, EXIT_OK, NULL, "profile", "show", iccid, NULL);
	g_assert_true (g_str_has_prefix (show, "ICCID:"));
	g_assert_nonnull (strstr (show, iccid));
	g_assert_nonnull (strstr (show, "\nAID:"));
	g_clear_pointer (&show, g_free);
	show = cli_expect (h, EXIT_OK, NULL, "-o", "keyvalue", "profile", "show", iccid, NULL);
	g_assert_true (g_str_has_prefix (show, "profile.iccid: "));
	g_assert_nonnull (strstr (show, "\nprofile.state: enabled\n"));
}

static void
test_fields (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = cli_expect (h, EXIT_USAGE, &err, "-f", "iccid,bogus", "profile",
					    "list", NULL);
	g_autofree gchar *all = NULL;
	g_autoptr(JsonNode) root = NULL;
	JsonObject *first;

	g_assert_cmpstr (out, ==, "");
	g_assert_nonnull (strstr (err, "'bogus'"));
	g_assert_true (g_str_has_prefix (err, "Error: "));

	/* -f with json selects the keys */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-f", "ICCID,aid", "-o", "json", "profile", "list", NULL);
	root = parse_json (out);
	first = json_array_get_object_element (json_node_get_array (root), 0);
	g_assert_cmpuint (json_object_get_size (first), ==, 2);
	g_assert_true (json_object_has_member (first, "iccid"));
	g_assert_true (json_object_has_member (first, "aid"));

	all = cli_expect (h, EXIT_OK, NULL, "-f", "all", "profile", "list", NULL);
	g_assert_nonnull (strstr (all, "PATH"));
	g_assert_nonnull (strstr (all, "/org/freedesktop/Esimd1/Profile/"));
}

static void
test_prefixes (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *full = cli_expect (h, EXIT_OK, NULL, "profile", "list", NULL);
	g_autofree gchar *prefixed = cli_expect (h, EXIT_OK, NULL, "prof", "l", NULL);
	g_autofree gchar *defaulted = cli_expect (h, EXIT_OK, NULL, "p", NULL);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;

	g_assert_cmpstr (prefixed, ==, full);
	g_assert_cmpstr (defaulted, ==, full);

	/* disable / delete */
	out = cli_expect (h, EXIT_USAGE, &err, "prof", "d", UNKNOWN_ICCID, NULL);
	g_assert_nonnull (strstr (err, "ambiguous"));
	g_assert_nonnull (strstr (err, "Try 'esimcli profile help'."));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "frobnicate", NULL);
	g_assert_nonnull (strstr (err, "'frobnicate'"));
}

static void
test_enable (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *enabled = find_iccid (h, "enabled");
	g_autofree gchar *disabled = find_iccid (h, "disabled");
	g_autofree gchar *out = NULL;
	g_autoptr(JsonNode) root = NULL;

	g_assert_nonnull (enabled);
	g_assert_nonnull (disabled);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "enable", disabled, NULL);
	g_assert_nonnull (strstr (out, "enabled"));

	root = list_profiles (h);
	g_assert_cmpstr (profile_state (root, disabled), ==, "enabled");
	g_assert_cmpstr (profile_state (root, enabled), ==, "disabled");

	/* disable it, then enable the first one again: both directions work */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "disable", disabled, NULL);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-t", "profile", "enable", enabled, NULL);
	g_assert_cmpstr (out, ==, "");
	g_clear_pointer (&root, json_node_unref);
	root = list_profiles (h);
	g_assert_cmpstr (profile_state (root, enabled), ==, "enabled");
	g_assert_cmpstr (profile_state (root, disabled), ==, "disabled");
}

static void
test_nickname (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *iccid = find_iccid (h, "disabled");
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	out = cli_expect (h, EXIT_OK, NULL, "profile", "nickname", iccid, "Work: data", NULL);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-g", "nickname", "profile", "show", iccid, NULL);
	/* terse escapes ':' */
	g_assert_cmpstr (out, ==, "Work\\: data\n");

	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "nickname", iccid, NULL);
	g_assert_nonnull (strstr (err, "NAME"));
}

static void
assert_one_error_line (const gchar *err)
{
	g_assert_true (g_str_has_prefix (err, "Error: "));
	g_assert_cmpuint (count_lines (err), ==, 1);
	g_assert_true (g_str_has_suffix (err, ".\n"));
	/* no raw D-Bus error names */
	g_assert_null (strstr (err, "GDBus.Error"));
	g_assert_null (strstr (err, "org.freedesktop.Esimd1.Error"));
}

static void
test_not_found (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;

	out = cli_expect (h, EXIT_NOT_FOUND, &err, "profile", "enable", UNKNOWN_ICCID, NULL);
	assert_one_error_line (err);
	g_assert_cmpstr (out, ==, "");

	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_NOT_FOUND, &err, "euicc", "show", "99", NULL);
	assert_one_error_line (err);

	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_NOT_FOUND, &err, "notification", "remove", "987654", NULL);
	assert_one_error_line (err);

	/* the daemon keeps serving */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "general", "status", NULL);
	g_assert_true (g_str_has_prefix (out, "RUNNING:"));
	g_assert_nonnull (strstr (out, "yes"));
	g_assert_nonnull (strstr (out, "\nPROFILES:"));
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-o", "json", "general", NULL);
	{
		g_autoptr(JsonNode) root = parse_json (out);
		JsonObject *status = json_node_get_object (root);

		g_assert_true (json_object_get_boolean_member (status, "running"));
		g_assert_cmpstr (json_object_get_string_member (status, "version"), !=, "");
		g_assert_cmpint (json_object_get_int_member (status, "euiccs"), ==, 1);
		g_assert_cmpint (json_object_get_int_member (status, "profiles"), >=, 2);
	}
}

static void
test_usage_errors (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;

	/* digits that are neither an ICCID nor an index */
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "enable", "894412345678", NULL);
	g_assert_nonnull (strstr (err, "ICCID"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "enable", "", NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "enable", "123456789012345678901", NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "enable", NULL);
	g_assert_true (g_str_has_prefix (err, "Error: missing argument PROFILE.\n"));
	g_assert_nonnull (strstr (err, "Try 'esimcli profile help'."));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "-o", "yaml", "profile", "list", NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "list", "--yes", NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "--bogus", "profile", NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "general", "status", NULL);
}

static void
test_not_running (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;

	out = cli_expect (h, EXIT_NOT_RUNNING, &err, "profile", "list", NULL);
	assert_one_error_line (err);
	g_assert_nonnull (strstr (err, "not running"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_NOT_RUNNING, &err, "profile", "enable", UNKNOWN_ICCID, NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	/* general status still reports, then exits 8 */
	out = cli_expect (h, EXIT_NOT_RUNNING, &err, "-g", "running", "general", "status", NULL);
	g_assert_cmpstr (out, ==, "no\n");
	g_assert_cmpstr (err, ==, "");
}

static void
test_euicc (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *list = cli_expect (h, EXIT_OK, NULL, "euicc", "list", NULL);
	g_autofree gchar *json = cli_expect (h, EXIT_OK, NULL, "-o", "json", "euicc", "show", NULL);
	g_autofree gchar *eid = cli_expect (h, EXIT_OK, NULL, "-g", "eid", "euicc", "show", NULL);
	g_autofree gchar *index = cli_expect (h, EXIT_OK, NULL, "-g", "index", "euicc", "list", NULL);
	g_autofree gchar *by_eid = NULL;
	g_autofree gchar *by_index = NULL;
	g_autofree gchar *by_path = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(JsonNode) root = parse_json (json);
	JsonObject *euicc;

	g_assert_true (g_str_has_prefix (list, "INDEX"));
	g_assert_nonnull (strstr (list, "EID"));
	g_assert_nonnull (strstr (list, "virtual"));
	g_assert_cmpuint (count_lines (list), ==, 2);

	g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
	euicc = json_node_get_object (root);
	g_assert_cmpstr (json_object_get_string_member (euicc, "transport"), ==, "virtual");
	g_assert_cmpstr (json_object_get_string_member (euicc, "state"), ==, "ready");
	g_assert_cmpint (json_object_get_int_member (euicc, "profiles"), >=, 2);

	g_strchomp (eid);
	g_assert_cmpuint (strlen (eid), ==, 32);
	g_strchomp (index);
	by_eid = cli_expect (h, EXIT_OK, NULL, "-g", "index", "euicc", "show", eid, NULL);
	g_assert_cmpstr (g_strchomp (by_eid), ==, index);
	by_index = cli_expect (h, EXIT_OK, NULL, "-g", "eid", "euicc", "show", "--euicc",
			       index, NULL);
	g_assert_cmpstr (g_strchomp (by_index), ==, eid);
	path = g_strdup_printf ("/org/freedesktop/Esimd1/Euicc/%s", index);
	by_path = cli_expect (h, EXIT_OK, NULL, "-g", "path", "euicc", "show", path, NULL);
	g_assert_cmpstr (g_strchomp (by_path), ==, path);
	/* neither an EID, an index nor a path */
	g_clear_pointer (&by_path, g_free);
	by_path = cli_expect (h, EXIT_USAGE, NULL, "euicc", "show", "first", NULL);
}

static gboolean
all_digits (const gchar *text)
{
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isdigit (*p))
			return FALSE;
	}
	return *text != '\0';
}

/* EIDs and ICCIDs are printed in full in every format, as mmcli prints them; the old
 * -s/--show-secrets is still accepted, changes nothing and is no longer offered. */
static void
test_identifiers_in_full (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *iccids = cli_expect (h, EXIT_OK, NULL, "-g", "iccid", "profile", "list",
					       NULL);
	g_autofree gchar *old_flag = cli_expect (h, EXIT_OK, NULL, "-s", "-g", "iccid", "profile",
						 "list", NULL);
	g_autofree gchar *long_flag = cli_expect (h, EXIT_OK, NULL, "--show-secrets", "-g", "iccid",
						  "profile", "list", NULL);
	g_autofree gchar *human = cli_expect (h, EXIT_OK, NULL, "profile", "list", NULL);
	g_autofree gchar *json = cli_expect (h, EXIT_OK, NULL, "-o", "json", "euicc", "show", NULL);
	g_autofree gchar *kv = cli_expect (h, EXIT_OK, NULL, "-o", "keyvalue", "euicc", "show", NULL);
	g_autofree gchar *help = cli_expect (h, EXIT_OK, NULL, "help", NULL);
	g_autofree gchar *options = cli_expect (h, EXIT_OK, NULL, "--complete-args", "--s", NULL);
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *kv_eid = NULL;
	g_auto(GStrv) lines = g_strsplit (iccids, "\n", -1);
	g_autoptr(JsonNode) root = parse_json (json);
	JsonObject *euicc = json_node_get_object (root);
	const gchar *eid = json_object_get_string_member (euicc, "eid");

	g_assert_cmpuint (count_lines (iccids), >=, 2);
	for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++) {
		g_assert_cmpuint (strlen (lines[i]), >=, 18);
		g_assert_true (all_digits (lines[i]));
		g_assert_nonnull (strstr (human, lines[i]));
	}
	g_assert_cmpstr (old_flag, ==, iccids);
	g_assert_cmpstr (long_flag, ==, iccids);

	g_assert_cmpuint (strlen (eid), ==, 32);
	g_assert_true (all_digits (eid));
	enabled = g_strdup (json_object_get_string_member (euicc, "enabled"));
	g_assert_true (all_digits (enabled));
	g_assert_nonnull (strstr (iccids, enabled));
	kv_eid = g_strdup_printf ("euicc.eid: %s\n", eid);
	g_assert_nonnull (strstr (kv, kv_eid));
	g_assert_null (strchr (json, '*'));

	g_assert_null (strstr (help, "secret"));
	g_assert_cmpstr (options, ==, "--session\n");
}

/* Scripts read terse, -g, keyvalue and JSON values whatever the locale. */
static void
test_machine_values (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *running = cli_expect (h, EXIT_OK, NULL, "-g", "running,modemmanager",
						"general", NULL);
	g_autofree gchar *kv = cli_expect (h, EXIT_OK, NULL, "-o", "keyvalue", "general", NULL);
	g_autofree gchar *json = cli_expect (h, EXIT_OK, NULL, "-o", "json", "general", NULL);
	g_autoptr(JsonNode) root = parse_json (json);
	JsonObject *status = json_node_get_object (root);

	g_assert_cmpstr (running, ==, "yes\nnot running\n");
	g_assert_nonnull (strstr (kv, "general.running: yes\n"));
	g_assert_true (json_object_get_boolean_member (status, "running"));
	g_assert_cmpstr (json_object_get_string_member (status, "modemmanager"), ==, "not running");
}

/* PROFILE: an ICCID, the index N of /org/freedesktop/Esimd1/Profile/N (the INDEX field),
 * or a nickname only one profile has. */
static void
test_profile_names (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *disabled = find_iccid (h, "disabled");
	g_autofree gchar *enabled = find_iccid (h, "enabled");
	g_autofree gchar *index = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *help = NULL;
	g_autoptr(JsonNode) root = NULL;

	/* by index, as printed in the INDEX field */
	index = cli_expect (h, EXIT_OK, NULL, "-g", "index", "profile", "show", disabled, NULL);
	g_strchomp (index);
	g_assert_true (all_digits (index));
	path = cli_expect (h, EXIT_OK, NULL, "-g", "path", "profile", "show", index, NULL);
	g_assert_true (g_str_has_prefix (path, "/org/freedesktop/Esimd1/Profile/"));
	g_assert_cmpuint (strtoul (strrchr (path, '/') + 1, NULL, 10), ==,
			  strtoul (index, NULL, 10));
	out = cli_expect (h, EXIT_OK, NULL, "profile", "enable", index, NULL);
	g_assert_nonnull (strstr (out, disabled));
	root = list_profiles (h);
	g_assert_cmpstr (profile_state (root, disabled), ==, "enabled");

	/* by nickname */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "nickname", enabled, "travel", NULL);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-g", "iccid", "profile", "show", "travel", NULL);
	g_assert_cmpstr (g_strchomp (out), ==, enabled);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "enable", "travel", NULL);
	g_clear_pointer (&root, json_node_unref);
	root = list_profiles (h);
	g_assert_cmpstr (profile_state (root, enabled), ==, "enabled");
	/* the nickname command itself takes any PROFILE */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "nickname", "travel", "home", NULL);

	/* a nickname two profiles share names neither: both are listed, with their index */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "nickname", index, "home", NULL);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "profile", "show", "home", NULL);
	g_assert_cmpstr (out, ==, "");
	g_assert_nonnull (strstr (err, "'home'"));
	g_assert_nonnull (strstr (err, enabled));
	g_assert_nonnull (strstr (err, disabled));
	g_assert_true (g_str_has_prefix (err, "Error: "));

	/* unknown index or nickname: not found */
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_NOT_FOUND, &err, "profile", "enable", "987654", NULL);
	assert_one_error_line (err);
	g_assert_nonnull (strstr (err, "index 987654"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_NOT_FOUND, &err, "profile", "delete", "nobody's", NULL);
	assert_one_error_line (err);

	/* digits are an index, never a nickname: the error says so */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "profile", "nickname", index, "42", NULL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_NOT_FOUND, &err, "profile", "show", "42", NULL);
	g_assert_nonnull (strstr (err, "nicknamed '42'"));

	/* the help says what PROFILE is */
	help = cli_expect (h, EXIT_OK, NULL, "profile", "enable", "help", NULL);
	g_assert_nonnull (strstr (help, "esimcli profile enable PROFILE"));
	g_assert_nonnull (strstr (help, "index"));
	g_assert_nonnull (strstr (help, "nickname"));
}

static void
test_reset (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	g_autoptr(JsonNode) before = list_profiles (h);
	g_autoptr(JsonNode) after = NULL;
	JsonArray *array;

	/* stdin is not a terminal: refuse without --yes, touching nothing */
	out = cli_expect (h, EXIT_USAGE, &err, "euicc", "reset", NULL);
	g_assert_nonnull (strstr (err, "--yes"));
	after = list_profiles (h);
	g_assert_cmpuint (json_array_get_length (json_node_get_array (after)), ==,
			  json_array_get_length (json_node_get_array (before)));

	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "euicc", "reset", "--yes", NULL);
	g_clear_pointer (&after, json_node_unref);
	after = list_profiles (h);
	array = json_node_get_array (after);
	/* the operational profiles are gone (preloaded test or provisioning ones may stay) */
	g_assert_cmpuint (json_array_get_length (array), <,
			  json_array_get_length (json_node_get_array (before)));
	for (guint i = 0; i < json_array_get_length (array); i++) {
		JsonObject *profile = json_array_get_object_element (array, i);
		g_assert_cmpstr (json_object_get_string_member (profile, "class"), !=, "operational");
	}
}

static JsonArray *
notifications_of (JsonNode *root)
{
	g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
	return json_node_get_array (root);
}

static void
test_notifications (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *disabled = find_iccid (h, "disabled");
	g_autofree gchar *out = NULL;
	g_autofree gchar *human = NULL;
	g_autofree gchar *seq_text = NULL;
	g_autoptr(JsonNode) before = NULL;
	g_autoptr(JsonNode) after = NULL;
	JsonObject *first;
	gint64 seq;
	guint n_before;

	out = cli_expect (h, EXIT_OK, NULL, "profile", "enable", disabled, NULL);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-o", "json", "notification", "list", NULL);
	before = parse_json (out);
	n_before = json_array_get_length (notifications_of (before));
	g_assert_cmpuint (n_before, >=, 1);
	first = json_array_get_object_element (notifications_of (before), 0);
	g_assert_true (json_object_has_member (first, "operation"));
	g_assert_true (json_object_has_member (first, "address"));
	seq = json_object_get_int_member (first, "seq");

	human = cli_expect (h, EXIT_OK, NULL, "notification", "list", NULL);
	g_assert_true (g_str_has_prefix (human, "SEQ"));
	g_assert_cmpuint (count_lines (human), ==, n_before + 1);

	seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "notification", "remove", seq_text, NULL);
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-o", "json", "notification", "list", NULL);
	after = parse_json (out);
	g_assert_cmpuint (json_array_get_length (notifications_of (after)), ==, n_before - 1);
	for (guint i = 0; i < json_array_get_length (notifications_of (after)); i++) {
		JsonObject *left = json_array_get_object_element (notifications_of (after), i);
		g_assert_cmpint (json_object_get_int_member (left, "seq"), !=, seq);
	}

	/* removing it again: not found */
	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_NOT_FOUND, NULL, "notification", "remove", seq_text, NULL);
}

static void
test_two_euiccs (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (2);
	g_autofree gchar *list = cli_expect (h, EXIT_OK, NULL, "profile", "list", NULL);
	g_autofree gchar *kv = cli_expect (h, EXIT_OK, NULL, "-o", "keyvalue", "euicc", "list", NULL);
	g_autofree gchar *index = cli_expect (h, EXIT_OK, NULL, "-g", "index", "euicc", "list", NULL);
	g_auto(GStrv) indexes = g_strsplit (index, "\n", -1);
	g_autofree gchar *one = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;

	/* the EUICC column appears when there are several */
	g_assert_nonnull (strstr (list, "EUICC"));
	g_assert_cmpuint (count_lines (list), ==, 5);
	g_assert_nonnull (strstr (kv, "euicc[1].eid: "));
	g_assert_nonnull (strstr (kv, "euicc[2].eid: "));

	one = cli_expect (h, EXIT_OK, NULL, "-t", "profile", "list", "--euicc", indexes[1], NULL);
	g_assert_cmpuint (count_lines (one), ==, 2);

	/* both software eUICCs hold the same demo ICCIDs: the ICCID names neither, the error
	 * lists both by index, and the index names one */
	{
		g_autofree gchar *iccid = find_iccid (h, "disabled");
		g_autofree gchar *indexes_of = NULL;
		g_auto(GStrv) profile_indexes = NULL;
		g_autofree gchar *shown = NULL;

		out = cli_expect (h, EXIT_USAGE, &err, "profile", "enable", iccid, NULL);
		g_assert_nonnull (strstr (err, "2 profiles"));
		indexes_of = cli_expect (h, EXIT_OK, NULL, "-g", "index,iccid", "profile", "list", NULL);
		profile_indexes = g_strsplit (indexes_of, "\n", -1);
		for (guint i = 0; profile_indexes[i] != NULL && *profile_indexes[i] != '\0'; i++) {
			g_autofree gchar *candidate = NULL;

			if (!g_str_has_suffix (profile_indexes[i], iccid))
				continue;
			*strchr (profile_indexes[i], ':') = '\0';
			candidate = g_strdup_printf ("%s (ICCID %s", profile_indexes[i], iccid);
			g_assert_nonnull (strstr (err, candidate));
			g_clear_pointer (&shown, g_free);
			shown = cli_expect (h, EXIT_OK, NULL, "-g", "iccid,state", "profile", "show",
					    profile_indexes[i], NULL);
			g_assert_true (g_str_has_prefix (shown, iccid));
		}
		g_assert_nonnull (shown);
		g_clear_pointer (&out, g_free);
		g_clear_pointer (&err, g_free);
	}

	/* a command that needs one eUICC refuses to guess */
	out = cli_expect (h, EXIT_USAGE, &err, "notification", "remove", "1", NULL);
	g_assert_nonnull (strstr (err, "--euicc"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli_expect (h, EXIT_USAGE, &err, "euicc", "show", NULL);
}

static void
test_help (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	const gchar *const invocations[][4] = {
		{ "help", NULL },
		{ "--help", NULL },
		{ "-h", NULL },
		{ "profile", "help", NULL },
		{ "profile", "--help", NULL },
		{ "profile", "enable", "help", NULL },
		{ "prof", "help", "en", NULL },
		{ "euicc", "reset", "-h", NULL },
		{ "help", "notification", NULL },
		{ "general", "help", NULL },
		{ "monitor", "help", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS (invocations); i++) {
		gint status = -1;
		g_autofree gchar *err = NULL;
		g_autofree gchar *out =
			esimd_test_harness_run_cli_argv (h, invocations[i], &status, &err);

		g_assert_cmpint (status, ==, EXIT_OK);
		g_assert_true (g_str_has_prefix (out, "Usage"));
		g_assert_cmpstr (err, ==, "");
	}
	{
		g_autofree gchar *out = cli_expect (h, EXIT_OK, NULL, "help", NULL);
		/* the exit codes are documented */
		g_assert_nonnull (strstr (out, "  8   "));
		g_assert_nonnull (strstr (out, "  10  "));
	}
	{
		g_autofree gchar *out = cli_expect (h, EXIT_OK, NULL, "profile", "enable", "help",
						    NULL);
		g_assert_nonnull (strstr (out, "esimcli profile enable PROFILE"));
	}
	{
		g_autofree gchar *out = cli_expect (h, EXIT_OK, NULL, "--version", NULL);
		g_assert_true (g_str_has_prefix (out, "esimcli "));
	}
}

static void
test_complete (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *objects = cli_expect (h, EXIT_OK, NULL, "--complete-args", "prof", NULL);
	g_autofree gchar *commands = cli_expect (h, EXIT_OK, NULL, "--complete-args", "profile",
						 "d", NULL);
	g_autofree gchar *outputs = cli_expect (h, EXIT_OK, NULL, "--complete-args", "-o", "", NULL);
	g_autofree gchar *options = cli_expect (h, EXIT_OK, NULL, "--complete-args", "profile",
						"list", "--eu", NULL);
	g_autofree gchar *fields = cli_expect (h, EXIT_OK, NULL, "--complete-args", "profile", "-f",
					       "ICCID,NI", NULL);
	g_autofree gchar *download = cli_expect (h, EXIT_OK, NULL, "--complete-args", "profile",
						 "download", "LPA:1$x$y", "--con", NULL);
	g_autofree gchar *iccids = NULL;
	g_autofree gchar *full = cli_expect (h, EXIT_OK, NULL, "-g", "iccid", "profile", "list",
					     NULL);

	g_assert_cmpstr (objects, ==, "profile\n");
	g_assert_cmpstr (commands, ==, "disable\ndelete\ndownload\n");
	g_assert_cmpstr (download, ==, "--confirmation-code\n");
	g_assert_cmpstr (outputs, ==, "human\njson\nkeyvalue\n");
	g_assert_cmpstr (options, ==, "--euicc\n");
	g_assert_cmpstr (fields, ==, "ICCID,NICKNAME\n");

	/* ICCIDs come from the daemon, in full: the user has to type them */
	iccids = cli_expect (h, EXIT_OK, NULL, "--complete-args", "--session", "profile", "enable",
			     "", NULL);
	g_assert_cmpstr (iccids, ==, full);
}

static pid_t
daemon_pid (EsimdTestHarness *h)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	guint32 pid = 0;

	reply = g_dbus_connection_call_sync (esimd_test_harness_get_connection (h),
					     "org.freedesktop.DBus", "/org/freedesktop/DBus",
					     "org.freedesktop.DBus", "GetConnectionUnixProcessID",
					     g_variant_new ("(s)", ESIMD_TEST_BUS_NAME),
					     G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
					     &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(u)", &pid);
	g_assert_cmpuint (pid, >, 0);
	return (pid_t) pid;
}

static void
test_timeout (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autoptr(GTimer) timer = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	pid_t pid = daemon_pid (h);

	/* a daemon that does not answer: -w bounds the wait, exit 3 */
	g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
	timer = g_timer_new ();
	out = cli_expect (h, EXIT_TIMEOUT, &err, "-w", "1", "profile", "list", NULL);
	g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 8.0);
	g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
	assert_one_error_line (err);
	g_assert_nonnull (strstr (err, "in time"));

	g_clear_pointer (&out, g_free);
	out = cli_expect (h, EXIT_OK, NULL, "-w", "5", "profile", "list", NULL);
	g_assert_true (g_str_has_prefix (out, "ICCID"));
}

typedef struct {
	GDataInputStream *stream;
	gchar *line;
	gboolean done;
} LineRead;

static void
line_read_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	LineRead *read = user_data;

	read->line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res, NULL,
							   NULL);
	read->done = TRUE;
}

static gboolean
line_read_done (gpointer user_data)
{
	LineRead *read = user_data;
	return read->done;
}

static void
test_monitor (void)
{
	g_autoptr(EsimdTestHarness) h = harness_with_daemon (1);
	g_autofree gchar *disabled = find_iccid (h, "disabled");
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GSubprocess) monitor = NULL;
	g_autoptr(GDataInputStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *rest = NULL;
	LineRead first = { 0 };

	g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
				      esimd_test_harness_get_bus_address (h), TRUE);
	monitor = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ESIMCLI"), "--session",
					       "monitor", "-w", "3", NULL);
	g_assert_no_error (error);
	stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));

	/* its first line says it watches: every later change is seen */
	first.stream = stream;
	g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, line_read_cb, &first);
	esim_test_wait_until_func (5000, line_read_done, &first, "the first line of esimcli monitor");
	g_assert_cmpstr (first.line, ==, "esimd is running");
	g_free (first.line);

	out = cli_expect (h, EXIT_OK, NULL, "profile", "enable", disabled, NULL);

	g_subprocess_wait_check (monitor, NULL, &error);
	g_assert_no_error (error);
	rest = g_data_input_stream_read_upto (stream, "", 0, NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_nonnull (rest);
	g_assert_nonnull (strstr (rest, ": State: enabled\n"));
	g_assert_nonnull (strstr (rest, ": State: disabled\n"));
	g_assert_nonnull (strstr (rest, "profile "));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimcli/json-list", test_json_list);
	g_test_add_func ("/esimcli/human-and-terse", test_human_and_terse);
	g_test_add_func ("/esimcli/fields", test_fields);
	g_test_add_func ("/esimcli/prefixes", test_prefixes);
	g_test_add_func ("/esimcli/enable", test_enable);
	g_test_add_func ("/esimcli/nickname", test_nickname);
	g_test_add_func ("/esimcli/not-found", test_not_found);
	g_test_add_func ("/esimcli/usage-errors", test_usage_errors);
	g_test_add_func ("/esimcli/not-running", test_not_running);
	g_test_add_func ("/esimcli/timeout", test_timeout);
	g_test_add_func ("/esimcli/euicc", test_euicc);
	g_test_add_func ("/esimcli/identifiers-in-full", test_identifiers_in_full);
	g_test_add_func ("/esimcli/machine-values", test_machine_values);
	g_test_add_func ("/esimcli/profile-names", test_profile_names);
	g_test_add_func ("/esimcli/reset", test_reset);
	g_test_add_func ("/esimcli/notifications", test_notifications);
	g_test_add_func ("/esimcli/two-euiccs", test_two_euiccs);
	g_test_add_func ("/esimcli/help", test_help);
	g_test_add_func ("/esimcli/complete", test_complete);
	g_test_add_func ("/esimcli/monitor", test_monitor);

	return g_test_run ();
}
