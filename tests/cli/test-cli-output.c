/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimcli's renderers under a translated locale: human output speaks the user's
 * language, while terse, -g, keyvalue and JSON values stay the same in every
 * locale, so that scripts can compare them.  A small German catalogue is built
 * with msgfmt for the test (LANGUAGE=de works with the C.UTF-8 locale), and the
 * renderers run in a subprocess whose stdout is checked.
 */

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "esimcli-output.h"

typedef struct {
	gboolean flag;
	const gchar *word;
} Item;

static GVariant *
get_flag (EsimcliCli *cli, gpointer item)
{
	return g_variant_new_boolean (((Item *) item)->flag);
}

static GVariant *
get_word (EsimcliCli *cli, gpointer item)
{
	return g_variant_new_string (((Item *) item)->word);
}

static GVariant *
get_id (EsimcliCli *cli, gpointer item)
{
	return g_variant_new_string ("89049032123451234512345678901234");
}

static const EsimcliField test_fields[] = {
	{ "FLAG", get_flag, FALSE },
	{ "WORD", get_word, TRUE },
	{ "ID", get_id, FALSE },
	{ NULL, NULL, FALSE },
};

static const EsimcliFieldTable test_table = { "thing", test_fields, "FLAG,WORD,ID" };

static const gchar catalogue[] =
	"msgid \"\"\n"
	"msgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
	"msgid \"yes\"\nmsgstr \"ja\"\n\n"
	"msgid \"no\"\nmsgstr \"nein\"\n\n"
	"msgid \"not running\"\nmsgstr \"läuft nicht\"\n";

#define LOCALE_DIR_ENV "ESIMCLI_TEST_LOCALE_DIR"

/* A German catalogue of GETTEXT_PACKAGE in a temporary directory, made once by the test
 * program and found through the environment by its subprocesses; NULL without msgfmt. */
static gchar *
make_catalogue (void)
{
	g_autofree gchar *msgfmt = g_find_program_in_path ("msgfmt");
	g_autofree gchar *dir = NULL;
	g_autofree gchar *po = NULL;
	g_autofree gchar *mo_dir = NULL;
	g_autofree gchar *mo = NULL;
	g_autoptr(GError) error = NULL;
	gint status = -1;

	if (msgfmt == NULL)
		return NULL;
	dir = g_dir_make_tmp ("esimcli-locale-XXXXXX", &error);
	g_assert_no_error (error);
	po = g_build_filename (dir, "de.po", NULL);
	mo_dir = g_build_filename (dir, "de", "LC_MESSAGES", NULL);
	mo = g_build_filename (mo_dir, GETTEXT_PACKAGE ".mo", NULL);
	g_assert_cmpint (g_mkdir_with_parents (mo_dir, 0755), ==, 0);
	g_file_set_contents (po, catalogue, -1, &error);
	g_assert_no_error (error);
	g_spawn_sync (NULL, (gchar *[]) { msgfmt, "-o", mo, po, NULL }, NULL,
		      G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error);
	g_assert_no_error (error);
	g_assert_true (g_spawn_check_wait_status (status, NULL));
	return g_steal_pointer (&dir);
}

static void
remove_catalogue (const gchar *dir)
{
	const gchar *const parts[] = { "de/LC_MESSAGES/" GETTEXT_PACKAGE ".mo", "de.po",
				       "de/LC_MESSAGES", "de", "" };

	for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
		g_autofree gchar *path = g_build_filename (dir, parts[i], NULL);
		g_remove (path);
	}
}

/* German messages with the C.UTF-8 locale (LANGUAGE is honoured there); FALSE if the
 * catalogue or the locale is missing. */
static gboolean
set_up_german (void)
{
	const gchar *dir = g_getenv (LOCALE_DIR_ENV);

	if (dir == NULL || setlocale (LC_ALL, "C.UTF-8") == NULL)
		return FALSE;
	g_setenv ("LANGUAGE", "de", TRUE);
	bindtextdomain (GETTEXT_PACKAGE, dir);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	textdomain (GETTEXT_PACKAGE);
	return g_strcmp0 (_("yes"), "ja") == 0;
}

static void
render (EsimcliCli *cli, gboolean list)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autoptr(GError) error = NULL;
	Item items[] = { { TRUE, "not running" }, { FALSE, "running" } };

	output = esimcli_output_new (cli, &test_table, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < (list ? G_N_ELEMENTS (items) : 1); i++)
		esimcli_output_add (output, &items[i]);
	if (list)
		esimcli_output_print_list (output);
	else
		esimcli_output_print_show (output);
}

typedef struct {
	const gchar *name;
	EsimcliOutputMode mode;
	gboolean terse;
	const gchar *get_values;	/* -g FIELDS */
	gboolean list;
	const gchar *expected;
} Case;

static const Case cases[] = {
	/* human: translated */
	{ "human-show", ESIMCLI_OUTPUT_HUMAN, FALSE, NULL, FALSE,
	  "FLAG: ja\nWORD: läuft nicht\nID:   89049032123451234512345678901234\n" },
	/* the same values for scripts, in any locale */
	{ "terse-show", ESIMCLI_OUTPUT_HUMAN, TRUE, NULL, FALSE,
	  "FLAG:yes\nWORD:not running\nID:89049032123451234512345678901234\n" },
	{ "terse-list", ESIMCLI_OUTPUT_HUMAN, TRUE, NULL, TRUE,
	  "yes:not running:89049032123451234512345678901234\n"
	  "no:running:89049032123451234512345678901234\n" },
	{ "get-values", ESIMCLI_OUTPUT_HUMAN, TRUE, "flag,word", TRUE,
	  "yes:not running\nno:running\n" },
	{ "keyvalue", ESIMCLI_OUTPUT_KEYVALUE, FALSE, NULL, FALSE,
	  "thing.flag: yes\nthing.word: not running\nthing.id: 89049032123451234512345678901234\n" },
	{ "json", ESIMCLI_OUTPUT_JSON, FALSE, NULL, FALSE,
	  "{\n  \"flag\" : true,\n  \"word\" : \"not running\",\n"
	  "  \"id\" : \"89049032123451234512345678901234\"\n}\n" },
};

static void
test_render (gconstpointer data)
{
	const Case *c = data;

	if (!set_up_german ()) {
		g_test_skip ("no msgfmt or no C.UTF-8 locale: cannot build a German catalogue");
		return;
	}
	if (g_test_subprocess ()) {
		EsimcliCli cli = { 0 };

		cli.output = c->mode;
		cli.terse = c->terse;
		cli.get_values = c->get_values != NULL;
		cli.fields = g_strdup (c->get_values);
		render (&cli, c->list);
		esimcli_cli_clear (&cli);
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
	g_test_trap_assert_stdout (c->expected);
}

int
main (int argc, char **argv)
{
	g_autofree gchar *catalogue_dir = NULL;
	gint status;

	g_test_init (&argc, &argv, NULL);
	if (g_getenv (LOCALE_DIR_ENV) == NULL) {
		catalogue_dir = make_catalogue ();
		if (catalogue_dir != NULL)
			g_setenv (LOCALE_DIR_ENV, catalogue_dir, TRUE);
	}
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/esimcli/output/%s", cases[i].name);
		g_test_add_data_func (path, &cases[i], test_render);
	}
	status = g_test_run ();
	if (catalogue_dir != NULL)
		remove_catalogue (catalogue_dir);
	return status;
}
