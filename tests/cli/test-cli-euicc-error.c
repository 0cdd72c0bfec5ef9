/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimcli while an eUICC is in error: `profile list` names the eUICC and its
 * LastError on stderr and exits 1, and still lists the profiles of the eUICCs
 * that work.  The eUICC in error is a modem's: the fake ModemManager (in this
 * process, on the private bus) shows a modem whose SIM is an eUICC (it has an
 * EID, as ModemManager reads it) but whose ports cannot be opened, which esimd
 * publishes in State "error" with the reason in LastError (and no EID: it never
 * read the card).
 */

#include <string.h>

#include "esimd-test-harness.h"
#include "fake-modemmanager.h"

#define EXIT_OK    0
#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define WAIT_MS    20000

#define BROKEN_EID "89049032000000000000000000000042"
#define MODEL      "Acme Broken"

typedef struct {
	EsimdTestHarness *h;
	FakeModemManager *mm;
} Fixture;

static gchar *
cli (Fixture *f, gint expected, gchar **err_out, const gchar *first, ...) G_GNUC_NULL_TERMINATED;

static gchar *
cli (Fixture *f, gint expected, gchar **err_out, const gchar *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autofree gchar *err = NULL;
	gint status = -1;
	gchar *out;
	va_list args;

	va_start (args, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	va_end (args);
	g_ptr_array_add (argv, NULL);
	out = esimd_test_harness_run_cli_argv (f->h, (const gchar *const *) argv->pdata, &status,
	                                       &err);
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

	for (const gchar *p = text; *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

/* esimd with @n_cards software eUICCs and the modems of the fake ModemManager, whose one
 * modem has an eUICC that cannot be reached. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	guint n_cards = GPOINTER_TO_UINT (data);
	g_autofree gchar *config = NULL;
	g_autofree gchar *dev = NULL;
	g_autofree gchar *qmi_port = NULL;
	g_autofree gchar *at_port = NULL;
	FakeMmModemInfo info = { .manufacturer = "Acme", .model = "Broken" };
	FakeMmModem *modem;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	f->mm = fake_modemmanager_new (esimd_test_harness_get_connection (f->h));
	/* modems too, although the command line names software eUICCs */
	config = esimd_test_harness_config_path (f->h);
	g_assert_true (g_file_set_contents (config, "[modem]\nEnabled=true\nUseProxy=false\n", -1,
	                                    NULL));
	/* ports that do not exist: the modem's eUICC cannot be opened */
	dev = g_build_filename (esimd_test_harness_get_tmpdir (f->h), "usb-9", NULL);
	qmi_port = g_build_filename (esimd_test_harness_get_tmpdir (f->h), "cdc-wdm-gone", NULL);
	at_port = g_build_filename (esimd_test_harness_get_tmpdir (f->h), "ttyUSB-gone", NULL);
	info.device = dev;
	info.qmi_port = qmi_port;
	info.at_port = at_port;
	modem = fake_modemmanager_add_modem (f->mm, &info);
	fake_mm_modem_set_sim (modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES,
	                       BROKEN_EID);
	fake_modemmanager_start (f->mm);
	esimd_test_harness_start_daemon (f->h, n_cards, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	esimd_test_harness_stop_daemon (f->h);
	fake_modemmanager_free (f->mm);
	esimd_test_harness_free (f->h);
}

typedef struct {
	Fixture *f;
	gchar   *out;   /* the last list */
	gchar   *index; /* of the eUICC in error */
} ErrorWait;

static gboolean
euicc_listed_in_error (gpointer user_data)
{
	ErrorWait *wait = user_data;
	g_auto(GStrv) lines = NULL;

	g_free (wait->out);
	wait->out = cli (wait->f, EXIT_OK, NULL, "-g", "index,model,state", "euicc", "list", NULL);
	lines = g_strsplit (wait->out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_suffix (lines[i], ":" MODEL ":error")) {
			wait->index = g_strndup (lines[i], strcspn (lines[i], ":"));
			return TRUE;
		}
	}
	return FALSE;
}

/* The INDEX of the modem's eUICC once it is in State "error"; fails the test if it never
 * gets there. */
static gchar *
wait_euicc_in_error (Fixture *f)
{
	ErrorWait wait = { f, NULL, NULL };

	if (!esim_test_wait_try (WAIT_MS, euicc_listed_in_error, &wait)) {
		g_test_message ("last list:\n%s", wait.out);
		esim_test_wait_fail (WAIT_MS, "the modem's eUICC to reach State error");
	}
	g_free (wait.out);
	return wait.index;
}

/* One field of an eUICC as keyvalue prints it: unescaped, "--" when empty. */
static gchar *
euicc_field (Fixture *f, const gchar *index, const gchar *field)
{
	g_autofree gchar *out = cli (f, EXIT_OK, NULL, "-o", "keyvalue", "-f", field, "euicc",
	                             "show", index, NULL);
	const gchar *value = strstr (out, ": ");

	g_assert_nonnull (value);
	return g_strdup (g_strchomp ((gchar *) value + 2));
}

/* The one line on stderr: the eUICC by index (and, as esimd never read its EID, by
 * modem), and esimd's LastError. */
static void
assert_error_line (Fixture *f, const gchar *err, const gchar *index)
{
	g_autofree gchar *last_error = euicc_field (f, index, "last-error");
	g_autofree gchar *eid = euicc_field (f, index, "eid");
	g_autofree gchar *named = g_strdup_printf ("eUICC %s (", index);

	g_test_message ("stderr: %s", err);
	g_assert_true (g_str_has_prefix (err, "Error: "));
	g_assert_cmpuint (count_lines (err), ==, 1);
	g_assert_nonnull (strstr (err, named));
	g_assert_nonnull (strstr (err, MODEL));
	/* esimd may know the EID from ModemManager */
	if (g_strcmp0 (eid, "--") != 0)
		g_assert_nonnull (strstr (err, eid));
	g_assert_cmpstr (last_error, !=, "");
	g_assert_cmpstr (last_error, !=, "--");
	g_assert_nonnull (strstr (err, last_error));
}

static void
test_only_euicc_in_error (Fixture *f, gconstpointer data)
{
	g_autofree gchar *index = wait_euicc_in_error (f);
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;

	/* never an empty table with status 0 */
	out = cli (f, EXIT_ERROR, &err, "profile", "list", NULL);
	g_assert_cmpstr (out, ==, "");
	assert_error_line (f, err, index);

	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, EXIT_ERROR, &err, "-o", "json", "profile", "list", NULL);
	g_assert_cmpstr (out, ==, "");
	assert_error_line (f, err, index);

	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, EXIT_ERROR, &err, "-t", "profile", "list", "--euicc", index, NULL);
	g_assert_cmpstr (out, ==, "");
	assert_error_line (f, err, index);
}

/* One eUICC works, one is in error: the working one is listed, the other reported, and
 * the status is 1 so that a script knows the list is not complete. */
static void
test_one_of_two_in_error (Fixture *f, gconstpointer data)
{
	g_autofree gchar *index = wait_euicc_in_error (f);
	g_autofree gchar *indexes = cli (f, EXIT_OK, NULL, "-g", "index,state", "euicc", "list",
	                                 NULL);
	g_autofree gchar *good = NULL;
	g_autofree gchar *good_eid = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	g_auto(GStrv) lines = g_strsplit (indexes, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_suffix (lines[i], ":ready"))
			good = g_strndup (lines[i], strcspn (lines[i], ":"));
	}
	g_assert_nonnull (good);
	good_eid = euicc_field (f, good, "eid");

	out = cli (f, EXIT_ERROR, &err, "profile", "list", NULL);
	assert_error_line (f, err, index);
	/* header and the two demo profiles of the working card, with their eUICC */
	g_assert_true (g_str_has_prefix (out, "ICCID"));
	g_assert_cmpuint (count_lines (out), ==, 3);
	g_assert_nonnull (strstr (out, good_eid));
	g_assert_null (strstr (out, MODEL));

	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, EXIT_ERROR, &err, "-g", "iccid,state", "profile", "list", NULL);
	g_assert_cmpuint (count_lines (out), ==, 2);
	assert_error_line (f, err, index);

	/* only the working eUICC asked for: all is well */
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, EXIT_OK, &err, "-t", "profile", "list", "--euicc", good, NULL);
	g_assert_cmpuint (count_lines (out), ==, 2);
	g_assert_cmpstr (err, ==, "");

	/* the eUICC list itself shows the state: it is not an error to list it */
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, EXIT_OK, &err, "euicc", "list", NULL);
	g_assert_nonnull (strstr (out, "error"));
	g_assert_cmpstr (err, ==, "");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add ("/esimcli/euicc-error/only-one", Fixture, GUINT_TO_POINTER (0),
	            fixture_set_up, test_only_euicc_in_error, fixture_tear_down);
	g_test_add ("/esimcli/euicc-error/one-of-two", Fixture, GUINT_TO_POINTER (1),
	            fixture_set_up, test_one_of_two_in_error, fixture_tear_down);
	return g_test_run ();
}
