/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd's log writer in parts: the fields it gives the journal (priority,
 * identifier, the eUICC's log id and masked EID), the level filter with
 * G_MESSAGES_DEBUG, and the stderr line.
 */

#include <string.h>
#include <unistd.h>

#include "esim-util.h"
#include "esimd-log.h"

#define EID "89049032123451234512345678901234"

static const gchar *
field_value (GArray *fields, const gchar *key)
{
	const gchar *found = NULL;
	guint n_found = 0;

	for (guint i = 0; i < fields->len; i++) {
		const GLogField *field = &g_array_index (fields, GLogField, i);

		if (g_strcmp0 (field->key, key) == 0) {
			found = field->value;
			n_found++;
		}
	}
	/* journald keeps every copy of a repeated field: esimd sends each once */
	g_assert_cmpuint (n_found, <=, 1);
	return found;
}

/* the fields g_logv() gives a writer: PRIORITY comes first */
static void
test_priority (void)
{
	static const struct {
		GLogLevelFlags flags;
		const gchar *priority;
	} levels[] = {
		{ G_LOG_LEVEL_ERROR, "3" },
		{ G_LOG_LEVEL_CRITICAL, "4" },
		{ G_LOG_LEVEL_WARNING, "4" },
		{ G_LOG_LEVEL_MESSAGE, "5" },
		{ G_LOG_LEVEL_INFO, "6" },
		{ G_LOG_LEVEL_DEBUG, "7" },
	};
	const GLogField from_g_log[] = {
		{ "PRIORITY", "5", -1 },
		{ "GLIB_DOMAIN", "GLib-GIO", -1 },
		{ "MESSAGE", "from a library", -1 },
	};
	GArray *fields;

	/* esimd_log_object() gives no PRIORITY: the writer maps the level as GLib does */
	for (guint i = 0; i < G_N_ELEMENTS (levels); i++) {
		const GLogField ours[] = {
			{ "GLIB_DOMAIN", "esimd", -1 },
			{ "MESSAGE", "hello", -1 },
		};

		fields = esimd_log_journal_fields (levels[i].flags, ours, G_N_ELEMENTS (ours));
		g_assert_cmpstr (field_value (fields, "PRIORITY"), ==, levels[i].priority);
		g_assert_cmpstr (field_value (fields, "SYSLOG_IDENTIFIER"), ==, "esimd");
		g_assert_cmpstr (field_value (fields, "MESSAGE"), ==, "hello");
		esimd_log_journal_fields_free (fields);
	}

	/* a PRIORITY already there is kept, not doubled */
	fields = esimd_log_journal_fields (G_LOG_LEVEL_MESSAGE, from_g_log,
	                                   G_N_ELEMENTS (from_g_log));
	g_assert_cmpstr (field_value (fields, "PRIORITY"), ==, "5");
	g_assert_cmpstr (field_value (fields, "GLIB_DOMAIN"), ==, "GLib-GIO");
	g_assert_null (field_value (fields, ESIMD_LOG_FIELD_EUICC));
	esimd_log_journal_fields_free (fields);
}

static void
test_object_fields (void)
{
	const GLogField euicc_message[] = {
		{ "GLIB_DOMAIN", "esimd", -1 },
		{ "MESSAGE", "probe failed: no answer", -1 },
		{ ESIMD_LOG_FIELD_OBJECT, "euicc3", -1 },
		{ "BINARY", "a\0b", 3 },
	};
	const GLogField watcher_message[] = {
		{ "GLIB_DOMAIN", "esimd", -1 },
		{ "MESSAGE", "modem appeared", -1 },
		{ ESIMD_LOG_FIELD_OBJECT, "mm", -1 },
	};
	GArray *fields;
	const GLogField *binary = NULL;

	/* before the EID is known */
	fields = esimd_log_journal_fields (G_LOG_LEVEL_WARNING, euicc_message,
	                                   G_N_ELEMENTS (euicc_message));
	g_assert_cmpstr (field_value (fields, ESIMD_LOG_FIELD_OBJECT), ==, "euicc3");
	g_assert_cmpstr (field_value (fields, ESIMD_LOG_FIELD_EUICC), ==, "euicc3");
	g_assert_null (field_value (fields, ESIMD_LOG_FIELD_EID));
	g_assert_cmpstr (field_value (fields, "MESSAGE"), ==, "probe failed: no answer");
	g_assert_cmpstr (field_value (fields, "PRIORITY"), ==, "4");
	for (guint i = 0; i < fields->len; i++) {
		if (g_strcmp0 (g_array_index (fields, GLogField, i).key, "BINARY") == 0)
			binary = &g_array_index (fields, GLogField, i);
	}
	g_assert_nonnull (binary);
	g_assert_cmpmem (binary->value, binary->length, "a\0b", 3);
	esimd_log_journal_fields_free (fields);

	/* once read, the EID travels with every message of that eUICC, masked */
	esimd_log_set_eid ("euicc3", EID);
	fields = esimd_log_journal_fields (G_LOG_LEVEL_INFO, euicc_message,
	                                   G_N_ELEMENTS (euicc_message));
	g_assert_cmpstr (field_value (fields, ESIMD_LOG_FIELD_EID), ==, "8904…34");
	esimd_log_journal_fields_free (fields);

	/* the modem watcher is an object, not an eUICC */
	fields = esimd_log_journal_fields (G_LOG_LEVEL_INFO, watcher_message,
	                                   G_N_ELEMENTS (watcher_message));
	g_assert_cmpstr (field_value (fields, ESIMD_LOG_FIELD_OBJECT), ==, "mm");
	g_assert_null (field_value (fields, ESIMD_LOG_FIELD_EUICC));
	g_assert_null (field_value (fields, ESIMD_LOG_FIELD_EID));
	esimd_log_journal_fields_free (fields);

	/* a removed eUICC: its EID is forgotten */
	esimd_log_set_eid ("euicc3", NULL);
	fields = esimd_log_journal_fields (G_LOG_LEVEL_INFO, euicc_message,
	                                   G_N_ELEMENTS (euicc_message));
	g_assert_null (field_value (fields, ESIMD_LOG_FIELD_EID));
	esimd_log_journal_fields_free (fields);
}

/* No field the writer adds shows the EID unless --log-personal-info. */
static void
test_masking (void)
{
	const GLogField message[] = {
		{ "GLIB_DOMAIN", "esimd", -1 },
		{ "MESSAGE", "ready", -1 },
		{ ESIMD_LOG_FIELD_OBJECT, "euicc0", -1 },
	};
	GArray *fields;

	esimd_log_set_eid ("euicc0", EID);
	esim_log_set_personal_info (FALSE);
	fields = esimd_log_journal_fields (G_LOG_LEVEL_INFO, message, G_N_ELEMENTS (message));
	for (guint i = 0; i < fields->len; i++) {
		const GLogField *field = &g_array_index (fields, GLogField, i);

		g_assert_null (strstr (field->value, "9032123451234512345678901"));
	}
	g_assert_cmpstr (field_value (fields, ESIMD_LOG_FIELD_EID), ==, "8904…34");
	esimd_log_journal_fields_free (fields);

	esim_log_set_personal_info (TRUE);
	fields = esimd_log_journal_fields (G_LOG_LEVEL_INFO, message, G_N_ELEMENTS (message));
	g_assert_cmpstr (field_value (fields, ESIMD_LOG_FIELD_EID), ==, EID);
	esimd_log_journal_fields_free (fields);
	esim_log_set_personal_info (FALSE);
	esimd_log_set_eid ("euicc0", NULL);
}

static void
test_filter_level (void)
{
	esimd_log_set_level (ESIMD_LOG_LEVEL_INFO);
	g_assert_true (esimd_log_wants (G_LOG_LEVEL_WARNING, "esimd"));
	g_assert_true (esimd_log_wants (G_LOG_LEVEL_MESSAGE, "esimd"));
	g_assert_true (esimd_log_wants (G_LOG_LEVEL_INFO, "esimd"));
	g_assert_false (esimd_log_wants (G_LOG_LEVEL_DEBUG, "esimd"));
	g_assert_false (esimd_log_wants (G_LOG_LEVEL_DEBUG, "GLib-GIO"));

	esimd_log_set_level (ESIMD_LOG_LEVEL_WARNING);
	g_assert_false (esimd_log_wants (G_LOG_LEVEL_MESSAGE, "esimd"));
	g_assert_true (esimd_log_wants (G_LOG_LEVEL_CRITICAL, "esimd"));

	/* --debug */
	esimd_log_set_level (ESIMD_LOG_LEVEL_DEBUG);
	g_assert_true (esimd_log_wants (G_LOG_LEVEL_DEBUG, "esimd"));
	g_assert_true (esimd_log_wants (G_LOG_LEVEL_DEBUG, "Qmi"));
	esimd_log_set_level (ESIMD_LOG_LEVEL_INFO);
}

/* G_MESSAGES_DEBUG adds the info and debug messages of the domains it names; the
 * environment is read by GLib, so each case runs in a subprocess of its own. */
static void
test_filter_messages_debug (void)
{
	if (g_test_subprocess ()) {
		g_setenv ("G_MESSAGES_DEBUG", "esim Qmi", TRUE);
		esimd_log_set_level (ESIMD_LOG_LEVEL_WARNING);
		g_assert_true (esimd_log_wants (G_LOG_LEVEL_DEBUG, "esim"));
		g_assert_true (esimd_log_wants (G_LOG_LEVEL_INFO, "Qmi"));
		g_assert_false (esimd_log_wants (G_LOG_LEVEL_DEBUG, "esimd"));
		/* it does not lower the level for the other kinds */
		g_assert_false (esimd_log_wants (G_LOG_LEVEL_MESSAGE, "esim"));
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
}

static void
test_filter_messages_debug_all (void)
{
	if (g_test_subprocess ()) {
		g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
		g_assert_true (esimd_log_wants (G_LOG_LEVEL_DEBUG, "esimd"));
		g_assert_true (esimd_log_wants (G_LOG_LEVEL_DEBUG, "GLib-GIO"));
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
}

/* On a terminal (or a file), as before: one line, the object in brackets. */
static void
test_line (void)
{
	const GLogField ours[] = {
		{ "GLIB_DOMAIN", "esimd", -1 },
		{ "MESSAGE", "EID 8904…34", -1 },
		{ ESIMD_LOG_FIELD_OBJECT, "euicc0", -1 },
	};
	const GLogField library[] = {
		{ "PRIORITY", "4", -1 },
		{ "GLIB_DOMAIN", "GLib-GIO", -1 },
		{ "MESSAGE", "something", -1 },
	};
	g_autofree gchar *expected_ours = g_strdup_printf ("esimd[%d]: info [euicc0] EID 8904…34\n",
	                                                   (gint) getpid ());
	g_autofree gchar *expected_library =
		g_strdup_printf ("esimd[%d]: warning GLib-GIO: something\n", (gint) getpid ());
	g_autofree gchar *line_ours = esimd_log_format_line (G_LOG_LEVEL_INFO, ours,
	                                                     G_N_ELEMENTS (ours));
	g_autofree gchar *line_library = esimd_log_format_line (G_LOG_LEVEL_WARNING, library,
	                                                        G_N_ELEMENTS (library));

	g_assert_cmpstr (line_ours, ==, expected_ours);
	g_assert_cmpstr (line_library, ==, expected_library);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/log/priority", test_priority);
	g_test_add_func ("/esimd/log/object-fields", test_object_fields);
	g_test_add_func ("/esimd/log/masking", test_masking);
	g_test_add_func ("/esimd/log/filter/level", test_filter_level);
	g_test_add_func ("/esimd/log/filter/messages-debug", test_filter_messages_debug);
	g_test_add_func ("/esimd/log/filter/messages-debug-all", test_filter_messages_debug_all);
	g_test_add_func ("/esimd/log/line", test_line);
	return g_test_run ();
}
