/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus error names esimd registers (src/daemon/bus/esimd-error.c) against the
 * "Errors:" block of the installed interface XML
 * (introspection/org.freedesktop.Esimd1.xml): every registered name is
 * documented with when it is returned, no other name is documented, and no
 * interface file mentions a name esimd does not register.
 */

#include <string.h>

#include <gio/gio.h>

#include "esimd-error.h"

#define ERROR_PREFIX "org.freedesktop.Esimd1.Error."

/* The names of ESIMD_ERROR's codes, as sent on the bus: codes run from 0 until the
 * first that is not registered (GDBus then encodes an "UnmappedGError" name). */
static GPtrArray *
registered_names (void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

	for (gint code = 0; code < 1000; code++) {
		g_autoptr(GError) error = g_error_new_literal (ESIMD_ERROR, code, "test");
		g_autofree gchar *name = g_dbus_error_encode_gerror (error);

		if (!g_str_has_prefix (name, ERROR_PREFIX))
			break;
		g_ptr_array_add (names, g_steal_pointer (&name));
	}
	return names;
}

static gchar *
read_interface_file (const gchar *name)
{
	g_autofree gchar *path = g_build_filename (INTROSPECTION_DIR, name, NULL);
	g_autoptr(GError) error = NULL;
	gchar *text = NULL;

	g_file_get_contents (path, &text, NULL, &error);
	g_assert_no_error (error);
	return text;
}

static void
collect_comment (GMarkupParseContext *context, const gchar *text, gsize len,
                 gpointer user_data, GError **error)
{
	GPtrArray *comments = user_data;

	if (len >= 7 && g_str_has_prefix (text, "<!--"))
		g_ptr_array_add (comments, g_strndup (text + 4, len - 7));
}

/* The XML comment that starts with "Errors:", parsed as XML (so a comment outside the
 * document, or a broken file, does not count). */
static gchar *
errors_block (const gchar *xml)
{
	const GMarkupParser parser = { NULL, NULL, NULL, collect_comment, NULL };
	g_autoptr(GPtrArray) comments = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GMarkupParseContext) context = NULL;
	g_autoptr(GError) error = NULL;

	context = g_markup_parse_context_new (&parser, 0, comments, NULL);
	g_markup_parse_context_parse (context, xml, -1, &error);
	g_assert_no_error (error);
	g_markup_parse_context_end_parse (context, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < comments->len; i++) {
		const gchar *comment = g_ptr_array_index (comments, i);

		if (g_str_has_prefix (g_strchug ((gchar *) comment), "Errors:"))
			return g_strdup (comment);
	}
	return NULL;
}

static void
string_free (gpointer string)
{
	g_string_free (string, TRUE);
}

/* "org.freedesktop.Esimd1.Error.Name:" on a line of its own, then the lines that explain
 * it: name -> GString explanation. */
static GHashTable *
documented_names (const gchar *block)
{
	GHashTable *documented = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                                string_free);
	g_auto(GStrv) lines = g_strsplit (block, "\n", -1);
	GString *current = NULL;

	for (guint i = 0; lines[i] != NULL; i++) {
		gchar *line = g_strstrip (lines[i]);

		if (g_str_has_prefix (line, ERROR_PREFIX) && g_str_has_suffix (line, ":")) {
			gchar *name = g_strndup (line, strlen (line) - 1);

			g_assert_false (g_hash_table_contains (documented, name));
			current = g_string_new (NULL);
			g_hash_table_insert (documented, name, current);
		} else if (current != NULL && *line != '\0') {
			g_string_append_printf (current, "%s ", line);
		} else {
			current = NULL;
		}
	}
	return documented;
}

static void
test_error_names_documented (void)
{
	g_autoptr(GPtrArray) registered = registered_names ();
	g_autofree gchar *xml = read_interface_file ("org.freedesktop.Esimd1.xml");
	g_autofree gchar *block = errors_block (xml);
	g_autoptr(GHashTable) documented = NULL;
	GHashTableIter iter;
	gpointer key, value;

	/* esimd-error.c registers the names design.md lists, and more */
	g_assert_cmpuint (registered->len, >=, 6);
	g_assert_nonnull (block);
	documented = documented_names (block);

	for (guint i = 0; i < registered->len; i++) {
		const gchar *name = g_ptr_array_index (registered, i);
		GString *explanation = g_hash_table_lookup (documented, name);

		if (explanation == NULL)
			g_test_message ("%s is registered but not documented", name);
		g_assert_nonnull (explanation);
		/* "when it is returned": a sentence, not just the name */
		g_assert_cmpuint (explanation->len, >, 20);
	}
	g_hash_table_iter_init (&iter, documented);
	while (g_hash_table_iter_next (&iter, &key, &value)) {
		if (!g_ptr_array_find_with_equal_func (registered, key, g_str_equal, NULL))
			g_test_message ("%s is documented but esimd does not register it",
			                (const gchar *) key);
		g_assert_true (g_ptr_array_find_with_equal_func (registered, key, g_str_equal, NULL));
	}
}

/* The methods' own docs may name errors too: only registered ones. */
static void
test_error_names_mentioned (void)
{
	g_autoptr(GPtrArray) registered = registered_names ();
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GRegex) regex = g_regex_new ("org\\.freedesktop\\.Esimd1\\.Error\\.[A-Za-z]+", 0,
	                                       0, NULL);
	const gchar *name;
	guint n_files = 0;

	dir = g_dir_open (INTROSPECTION_DIR, 0, &error);
	g_assert_no_error (error);
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *xml = NULL;
		g_autoptr(GMatchInfo) match = NULL;

		if (!g_str_has_suffix (name, ".xml"))
			continue;
		n_files++;
		xml = read_interface_file (name);
		g_regex_match (regex, xml, 0, &match);
		while (g_match_info_matches (match)) {
			g_autofree gchar *mentioned = g_match_info_fetch (match, 0);

			if (!g_ptr_array_find_with_equal_func (registered, mentioned, g_str_equal, NULL))
				g_test_message ("%s names %s, which esimd does not register", name,
				                mentioned);
			g_assert_true (g_ptr_array_find_with_equal_func (registered, mentioned,
			                                                 g_str_equal, NULL));
			g_match_info_next (match, NULL);
		}
	}
	g_assert_cmpuint (n_files, >=, 4);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/error-names/documented", test_error_names_documented);
	g_test_add_func ("/esimd/error-names/mentioned", test_error_names_mentioned);
	return g_test_run ();
}
