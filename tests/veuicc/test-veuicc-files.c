/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The software eUICC's state file as a file: what is refused without blocking
 * (FIFO, devices, directories), symbolic links written through, two paths to
 * one file told by device and inode, the temporaries of a killed save, and
 * the [faults] knob that makes the card refuse chosen ES10 functions.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esim-util.h"
#include "esim-veuicc.h"

#define ISDR_AID "A0000005591010FFFFFFFF8900000100"
#define ICCID_TEST_BCD "98447456000000002032"
/* EnableProfile of the demo test profile, with refresh */
#define ENABLE_TEST "BF3111A00C5A0A" ICCID_TEST_BCD "8101FF"

/* a load that blocks (a FIFO) or reads without end (/dev/zero) ends the child here */
#define SUBPROCESS_TIMEOUT_US (10 * G_USEC_PER_SEC)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ---- helpers ---- */

static gchar *
transmit (EsimVeuicc *card, const gchar *hex)
{
	g_autoptr(GBytes) command = esim_hex_decode (hex, NULL);
	g_autoptr(GBytes) response = NULL;

	g_assert_nonnull (command);
	response = esim_veuicc_process_apdu (card, command);
	g_assert_cmpuint (g_bytes_get_size (response), >=, 2);
	return esim_hex_encode_bytes (response);
}

/* One ES10 request on the basic channel (the ISD-R selected), in one STORE DATA block;
 * the response TLV and SW (9000 or the refusal) as "TLV/SW" hex. */
static gchar *
es10 (EsimVeuicc *card, const gchar *request)
{
	g_autofree gchar *command = g_strdup_printf ("80E29100%02X%s", (guint) strlen (request) / 2,
	                                             request);
	g_autofree gchar *response = transmit (card, command);
	g_autoptr(GString) answer = g_string_new (NULL);

	while (g_str_has_prefix (response + strlen (response) - 4, "61")) {
		g_autofree gchar *get = g_strdup_printf ("00C00000%s", response + strlen (response) - 2);
		g_free (response);
		response = transmit (card, get);
		g_string_append_len (answer, response, (gssize) strlen (response) - 4);
	}
	g_string_append_printf (answer, "/%s", response + strlen (response) - 4);
	return g_string_free (g_steal_pointer (&answer), FALSE);
}

static EsimVeuicc *
open_card (const gchar *path, gboolean create)
{
	g_autoptr(GError) error = NULL;
	EsimVeuicc *card = esim_veuicc_new_from_file (path, create, &error);
	g_autofree gchar *fci = NULL;

	g_assert_no_error (error);
	g_assert_nonnull (card);
	fci = transmit (card, "00A4040C10" ISDR_AID);
	g_assert_cmpstr (fci, ==, "9000");
	return card;
}

static gchar *
make_tmp_dir (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("test-veuicc-files-XXXXXX", &error);
	g_assert_no_error (error);
	/* the card reports real paths: compare with the real directory */
	return realpath (dir, NULL);
}

static void
remove_tree (const gchar *dir)
{
	g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
	const gchar *name;

	while (listing != NULL && (name = g_dir_read_name (listing)) != NULL) {
		g_autofree gchar *path = g_build_filename (dir, name, NULL);
		g_unlink (path);
	}
	g_rmdir (dir);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* The names in @dir, sorted, joined by spaces. */
static gchar *
list_dir (const gchar *dir)
{
	g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	const gchar *name;

	g_assert_nonnull (listing);
	while ((name = g_dir_read_name (listing)) != NULL)
		g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, compare_names);
	g_ptr_array_add (names, NULL);
	return g_strjoinv (" ", (gchar **) names->pdata);
}

static gchar *
read_file (const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;

	g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
	g_assert_no_error (error);
	return contents;
}

static void
write_file (const gchar *path, const gchar *contents)
{
	g_autoptr(GError) error = NULL;

	g_assert_true (g_file_set_contents (path, contents, -1, &error));
	g_assert_no_error (error);
}

static void
assert_refused (const gchar *path, gint code, const gchar *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, TRUE, &error);

	g_assert_null (card);
	g_assert_error (error, ESIM_VEUICC_ERROR, code);
	g_test_message ("refused as expected: %s", error->message);
	g_assert_nonnull (strstr (error->message, path));
	g_assert_nonnull (strstr (error->message, needle));
}

/* ---- anything but a regular file ---- */

static void
limit_memory (void)
{
#ifndef UNDER_ASAN
	/* without the size cap, /dev/zero would take all memory before the timeout */
	struct rlimit limit = { 1024 * 1024 * 1024, 1024 * 1024 * 1024 };
	g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
#endif
}

static void
test_not_regular (void)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *fifo = NULL;
	g_autofree gchar *subdir = NULL;
	GStatBuf st;

	if (!g_test_subprocess ()) {
		/* in a child: a load that blocks is then a failure, not a hung test run */
		g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed ();
		return;
	}
	limit_memory ();
	dir = make_tmp_dir ();
	fifo = g_build_filename (dir, "fifo.ini", NULL);
	subdir = g_build_filename (dir, "dir.ini", NULL);
	g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
	g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);

	assert_refused (fifo, ESIM_VEUICC_ERROR_IO, "not a regular file but a FIFO");
	assert_refused ("/dev/zero", ESIM_VEUICC_ERROR_IO, "not a regular file but a character device");
	assert_refused ("/dev/null", ESIM_VEUICC_ERROR_IO, "not a regular file but a character device");
	assert_refused (subdir, ESIM_VEUICC_ERROR_IO, "not a regular file but a directory");
	/* and none was replaced by a new card */
	g_assert_cmpint (g_lstat (fifo, &st), ==, 0);
	g_assert_true (S_ISFIFO (st.st_mode));
	g_assert_cmpint (g_lstat (subdir, &st), ==, 0);
	g_assert_true (S_ISDIR (st.st_mode));
	g_assert_cmpstr (list_dir (dir), ==, "dir.ini fifo.ini");
	g_rmdir (subdir);
	remove_tree (dir);
}

static void
test_too_large (void)
{
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	gint fd;

	/* sparse: its size alone refuses it */
	fd = g_open (path, O_WRONLY | O_CREAT, 0600);
	g_assert_cmpint (fd, >=, 0);
	g_assert_cmpint (ftruncate (fd, 2 * 1024 * 1024), ==, 0);
	close (fd);
	assert_refused (path, ESIM_VEUICC_ERROR_CORRUPT, "larger than 1048576 bytes");
	remove_tree (dir);
}

/* ---- symbolic and hard links ---- */

static void
test_symlink_written_through (void)
{
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *real = g_build_filename (dir, "real.ini", NULL);
	g_autofree gchar *link = g_build_filename (dir, "link.ini", NULL);
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	g_autofree gchar *answer = NULL;
	GStatBuf st;

	g_object_unref (open_card (real, TRUE));
	g_assert_cmpint (symlink ("real.ini", link), ==, 0);
	before = read_file (real);
	{
		g_autoptr(EsimVeuicc) card = open_card (link, FALSE);

		g_assert_cmpstr (esim_veuicc_get_path (card), ==, real);
		answer = es10 (card, ENABLE_TEST);
		g_assert_cmpstr (answer, ==, "BF3103800100/9000");
	}
	/* the link is still a link, and the file it names took the change */
	g_assert_cmpint (g_lstat (link, &st), ==, 0);
	g_assert_true (S_ISLNK (st.st_mode));
	after = read_file (real);
	g_assert_cmpstr (after, !=, before);
	g_assert_cmpint (g_stat (real, &st), ==, 0);
	g_assert_cmpint (st.st_mode & 0777, ==, 0600);
	/* nothing else was left in the directory */
	g_assert_cmpstr (list_dir (dir), ==, "link.ini real.ini");
	remove_tree (dir);
}

static void
test_symlink_dangling_and_loop (void)
{
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *link = g_build_filename (dir, "link.ini", NULL);
	g_autofree gchar *target = g_build_filename (dir, "new.ini", NULL);
	g_autofree gchar *loop_a = g_build_filename (dir, "a.ini", NULL);
	g_autofree gchar *loop_b = g_build_filename (dir, "b.ini", NULL);
	GStatBuf st;

	/* a link to a file to be created: the card is created there, the link kept */
	g_assert_cmpint (symlink ("new.ini", link), ==, 0);
	{
		g_autoptr(EsimVeuicc) card = open_card (link, TRUE);
		g_assert_cmpstr (esim_veuicc_get_path (card), ==, target);
	}
	g_assert_cmpint (g_lstat (link, &st), ==, 0);
	g_assert_true (S_ISLNK (st.st_mode));
	g_assert_cmpint (g_lstat (target, &st), ==, 0);
	g_assert_true (S_ISREG (st.st_mode));

	g_assert_cmpint (symlink ("b.ini", loop_a), ==, 0);
	g_assert_cmpint (symlink ("a.ini", loop_b), ==, 0);
	assert_refused (loop_a, ESIM_VEUICC_ERROR_IO, "symbolic links");
	g_assert_cmpstr (list_dir (dir), ==, "a.ini b.ini link.ini new.ini");
	remove_tree (dir);
}

static void
test_same_file (void)
{
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *real = g_build_filename (dir, "real.ini", NULL);
	g_autofree gchar *soft = g_build_filename (dir, "link.ini", NULL);
	g_autofree gchar *hard = g_build_filename (dir, "hard.ini", NULL);
	g_autofree gchar *other = g_build_filename (dir, "other.ini", NULL);
	g_autoptr(EsimVeuicc) by_real = NULL;
	g_autoptr(EsimVeuicc) by_link = NULL;
	g_autoptr(EsimVeuicc) by_hard = NULL;
	g_autoptr(EsimVeuicc) different = NULL;

	by_real = open_card (real, TRUE);
	g_assert_cmpint (symlink (real, soft), ==, 0);
	by_link = open_card (soft, FALSE);
	g_assert_cmpint (link (real, hard), ==, 0);
	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_WARNING, "*has 2 names (hard links)*");
	by_hard = open_card (hard, FALSE);
	g_test_assert_expected_messages ();
	different = open_card (other, TRUE);

	g_assert_true (esim_file_id_equal (esim_veuicc_get_file_id (by_real),
	                                   esim_veuicc_get_file_id (by_link)));
	g_assert_true (esim_file_id_equal (esim_veuicc_get_file_id (by_real),
	                                   esim_veuicc_get_file_id (by_hard)));
	g_assert_false (esim_file_id_equal (esim_veuicc_get_file_id (by_real),
	                                    esim_veuicc_get_file_id (different)));
	g_assert_cmpstr (esim_veuicc_get_path (by_hard), ==, hard);
	remove_tree (dir);
}

/* ---- temporaries ---- */

static void
test_temporaries (void)
{
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *killed = g_build_filename (dir, "card.ini.esimd-Ab3xY9", NULL);
	g_autofree gchar *not_ours = g_build_filename (dir, "card.ini.esimd-toolong", NULL);
	g_autofree gchar *other_card = g_build_filename (dir, "other.ini.esimd-Ab3xY9", NULL);
	g_autofree gchar *old_style = g_build_filename (dir, "card.ini.backup", NULL);
	g_autofree gchar *state = NULL;

	g_object_unref (open_card (path, TRUE));
	state = read_file (path);
	write_file (killed, state);
	write_file (not_ours, "mine");
	write_file (other_card, state);
	write_file (old_style, state);
	g_assert_cmpint (g_chmod (old_style, 0600), ==, 0);

	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_MESSAGE,
	                       "removed 1 temporary file(s) a killed save of *card.ini left behind");
	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_WARNING,
	                       "*card.ini.backup looks like a temporary file an older esimd left*");
	{
		g_autoptr(EsimVeuicc) card = open_card (path, FALSE);
		g_autofree gchar *answer = NULL;

		g_test_assert_expected_messages ();
		/* only our own pattern, for this file, is deleted; the rest is named or left */
		g_assert_cmpstr (list_dir (dir), ==, "card.ini card.ini.backup card.ini.esimd-toolong "
		                 "other.ini.esimd-Ab3xY9");
		/* saves leave nothing behind */
		for (guint i = 0; i < 4; i++) {
			answer = es10 (card, i % 2 == 0 ? ENABLE_TEST :
			               "BF3211A00C5A0A" ICCID_TEST_BCD "8101FF");
			g_assert_true (g_str_has_suffix (answer, "800100/9000"));
			g_clear_pointer (&answer, g_free);
		}
		g_assert_cmpstr (list_dir (dir), ==, "card.ini card.ini.backup card.ini.esimd-toolong "
		                 "other.ini.esimd-Ab3xY9");
	}
	remove_tree (dir);
}

/* ---- [faults] ---- */

static void
test_faults (void)
{
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *good = NULL;
	g_autofree gchar *faulty = NULL;

	g_object_unref (open_card (path, TRUE));
	good = read_file (path);
	faulty = g_strconcat (good, "\n[faults]\nBF22=6D00\nBF3C=error\nbf2d=error\nBF55=6985\n",
	                      NULL);
	write_file (path, faulty);
	for (guint round = 0; round < 2; round++) {
		g_autoptr(EsimVeuicc) card = open_card (path, FALSE);
		g_autofree gchar *info2 = es10 (card, "BF2200");
		g_autofree gchar *addresses = es10 (card, "BF3C00");
		g_autofree gchar *profiles = es10 (card, "BF2D00");
		g_autofree gchar *eims = es10 (card, "BF5500");
		g_autofree gchar *eid = es10 (card, "BF3E035C015A");
		g_autofree gchar *enable = es10 (card, ENABLE_TEST);

		/* a status word, or undefinedError where the function puts its errors */
		g_assert_cmpstr (info2, ==, "/6D00");
		g_assert_cmpstr (addresses, ==, "BF3C0380017F/9000");
		g_assert_cmpstr (profiles, ==, "BF2D0381017F/9000");
		g_assert_cmpstr (eims, ==, "/6985");
		/* the others answer as always, and a change is saved with the faults kept */
		g_assert_true (g_str_has_prefix (eid, "BF3E125A10"));
		g_assert_cmpstr (enable, ==, round == 0 ? "BF3103800100/9000" : "BF3103800102/9000");
	}
	remove_tree (dir);
}

static void
test_faults_invalid (void)
{
	static const gchar *const bad[][2] = {
		{ "BF22=9000", "neither a status word" },
		{ "BF22=6100", "neither a status word" },
		{ "BF22=6D0", "neither a status word" },
		{ "BF22=refuse", "neither a status word" },
		{ "XYZ=6D00", "not an ES10 request tag" },
		{ "BF22=6D00\nbf22=error", "given twice" },
	};
	g_autofree gchar *dir = make_tmp_dir ();
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *good = NULL;

	g_object_unref (open_card (path, TRUE));
	good = read_file (path);
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autofree gchar *contents = g_strconcat (good, "\n[faults]\n", bad[i][0], "\n", NULL);
		g_autofree gchar *after = NULL;

		write_file (path, contents);
		assert_refused (path, ESIM_VEUICC_ERROR_CORRUPT, bad[i][1]);
		assert_refused (path, ESIM_VEUICC_ERROR_CORRUPT, "[faults]");
		after = read_file (path);
		g_assert_cmpstr (after, ==, contents);
	}
	remove_tree (dir);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/veuicc/files/not-regular", test_not_regular);
	g_test_add_func ("/veuicc/files/too-large", test_too_large);
	g_test_add_func ("/veuicc/files/symlink-written-through", test_symlink_written_through);
	g_test_add_func ("/veuicc/files/symlink-dangling-and-loop", test_symlink_dangling_and_loop);
	g_test_add_func ("/veuicc/files/same-file", test_same_file);
	g_test_add_func ("/veuicc/files/temporaries", test_temporaries);
	g_test_add_func ("/veuicc/files/faults", test_faults);
	g_test_add_func ("/veuicc/files/faults-invalid", test_faults_invalid);

	return g_test_run ();
}
