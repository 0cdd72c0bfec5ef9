/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd's persistent store (src/daemon/core/esimd-store.c) on a real file
 * system: records written and read back, a writer killed at random moments
 * (the record is always one it wrote whole), corrupt records moved aside, the
 * size cap, and the checks of the state directory.
 */

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esimd-store.h"

#define EID       "89049032123451234512345678901235"
#define OTHER_EID "89049032123451234512345678909999"
/* the killed writer's records go up to this sequence number and back down */
#define WRITER_TOP 200
#define WRITER_ROUNDS 40

typedef struct {
	gchar *dir;   /* the state directory, inside a temporary directory */
	gchar *top;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->top = g_dir_make_tmp ("esimd-store-XXXXXX", &error);
	g_assert_no_error (error);
	f->dir = g_build_filename (f->top, "state", NULL);
}

static void
remove_tree (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	if (dir == NULL) {
		g_unlink (path);
		return;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);
		struct stat st;

		if (lstat (child, &st) == 0 && S_ISDIR (st.st_mode))
			remove_tree (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	remove_tree (f->top);
	g_free (f->dir);
	g_free (f->top);
}

static gchar *
record_path (Fixture *f, const gchar *eid)
{
	g_autofree gchar *name = g_strdup_printf ("euicc-%s.ini", eid);

	return g_build_filename (f->dir, name, NULL);
}

static EsimdStore *
open_store (Fixture *f)
{
	g_autoptr(GError) error = NULL;
	EsimdStore *store = esimd_store_open (f->dir, &error);

	g_assert_no_error (error);
	g_assert_nonnull (store);
	return store;
}

static void
set_notification (EsimdStore *store, const gchar *eid, guint64 seq, gboolean delivered,
                  guint attempts, gint64 next_attempt, const gchar *digest)
{
	EsimdNotificationRecord record = { 0 };
	g_autoptr(GError) error = NULL;

	record.seq = seq;
	record.delivered = delivered;
	record.attempts = attempts;
	record.next_attempt = next_attempt;
	g_strlcpy (record.digest, digest, sizeof (record.digest));
	g_assert_true (esimd_store_set_notification (store, eid, &record, &error));
	g_assert_no_error (error);
}

/* ---- write and read back ---- */

static void
test_round_trip (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdStore) store = open_store (f);
	g_autoptr(EsimdStore) reopened = NULL;
	g_autoptr(GArray) list = esimd_store_get_notifications (store, EID);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = record_path (f, EID);
	EsimdNotificationRecord record;
	struct stat st;

	g_assert_cmpuint (list->len, ==, 0);
	g_clear_pointer (&list, g_array_unref);
	g_assert_false (esimd_store_lookup_notification (store, EID, 7, &record));

	/* delivered to the server, not yet removed from the card */
	set_notification (store, EID, 7, TRUE, 0, 0,
	                  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	/* failed twice, next try at a fixed time */
	set_notification (store, EID, 3, FALSE, 2, 1700000123, "");
	set_notification (store, OTHER_EID, 3, FALSE, 9, -1, "AB");
	g_assert_cmpint (stat (path, &st), ==, 0);
	g_assert_cmpint (st.st_mode & 0777, ==, 0600);

	/* what a restarted esimd reads */
	reopened = open_store (f);
	list = esimd_store_get_notifications (reopened, EID);
	g_assert_cmpuint (list->len, ==, 2);
	record = g_array_index (list, EsimdNotificationRecord, 0);
	g_assert_cmpuint (record.seq, ==, 3);
	g_assert_false (record.delivered);
	g_assert_cmpuint (record.attempts, ==, 2);
	g_assert_cmpint (record.next_attempt, ==, 1700000123);
	g_assert_cmpstr (record.digest, ==, "");
	record = g_array_index (list, EsimdNotificationRecord, 1);
	g_assert_cmpuint (record.seq, ==, 7);
	g_assert_true (record.delivered);
	g_assert_cmpstr (record.digest, ==,
	                 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	g_assert_true (esimd_store_lookup_notification (reopened, OTHER_EID, 3, &record));
	g_assert_cmpuint (record.attempts, ==, 9);
	g_assert_cmpint (record.next_attempt, ==, -1);

	/* replaced whole, then forgotten; the file goes with the last record */
	set_notification (reopened, EID, 3, FALSE, 3, 1700000999, "");
	g_assert_true (esimd_store_lookup_notification (reopened, EID, 3, &record));
	g_assert_cmpuint (record.attempts, ==, 3);
	g_assert_true (esimd_store_forget_notification (reopened, EID, 3, &error));
	g_assert_no_error (error);
	g_assert_true (esimd_store_forget_notification (reopened, EID, 3, &error));
	g_assert_false (esimd_store_lookup_notification (reopened, EID, 3, &record));
	g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
	g_assert_true (esimd_store_forget_notification (reopened, EID, 7, &error));
	g_assert_no_error (error);
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
	g_assert_true (esimd_store_lookup_notification (reopened, OTHER_EID, 3, &record));
}

static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdStore) store = open_store (f);
	EsimdNotificationRecord record = { .seq = 1 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) list = NULL;

	/* an EID is never a path */
	g_assert_false (esimd_store_set_notification (store, "../../etc/passwd", &record, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_false (esimd_store_forget_notification (store, "8904", 1, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	list = esimd_store_get_notifications (store, "not an EID");
	g_assert_cmpuint (list->len, ==, 0);

	/* a digest is hexadecimal and NUL-terminated */
	g_strlcpy (record.digest, "not hex", sizeof (record.digest));
	g_assert_false (esimd_store_set_notification (store, EID, &record, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	memset (record.digest, 'a', sizeof (record.digest));
	g_assert_false (esimd_store_set_notification (store, EID, &record, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* ---- a writer killed at random moments ---- */

static gchar *
writer_digest (guint64 seq)
{
	g_autofree gchar *text = g_strdup_printf ("notification %" G_GUINT64_FORMAT, seq);

	return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/* The records always form one range [first, last] (or none), each as the writer wrote it:
 * anything else is a torn or lost write.  Returns the range. */
static void
check_writer_records (EsimdStore *store, guint64 *first, guint64 *last)
{
	g_autoptr(GArray) list = esimd_store_get_notifications (store, EID);

	*first = *last = 0;
	for (guint i = 0; i < list->len; i++) {
		const EsimdNotificationRecord *record = &g_array_index (list,
		                                                        EsimdNotificationRecord, i);
		g_autofree gchar *digest = writer_digest (record->seq);

		if (i > 0)
			g_assert_cmpuint (record->seq, ==, *last + 1);
		else
			*first = record->seq;
		*last = record->seq;
		g_assert_false (record->delivered);
		g_assert_cmpuint (record->attempts, ==, record->seq);
		g_assert_cmpint (record->next_attempt, ==, (gint64) record->seq * 1000);
		g_assert_cmpstr (record->digest, ==, digest);
	}
}

/* The child: from where the records are, adds seq up to WRITER_TOP, then forgets them from
 * the lowest, forever (until killed). */
static int
run_writer (const gchar *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimdStore) store = esimd_store_open (dir, &error);
	gboolean announced = FALSE;

	if (store == NULL) {
		g_printerr ("writer: %s\n", error->message);
		return 1;
	}
	for (;;) {
		g_autoptr(GArray) list = esimd_store_get_notifications (store, EID);
		guint64 first = list->len > 0 ? g_array_index (list, EsimdNotificationRecord, 0).seq : 0;
		guint64 last = list->len > 0 ?
		               g_array_index (list, EsimdNotificationRecord, list->len - 1).seq : 0;
		gboolean ok;

		if (list->len > 0 && (first > 1 || last == WRITER_TOP)) {
			ok = esimd_store_forget_notification (store, EID, first, &error);
		} else {
			EsimdNotificationRecord record = { 0 };
			g_autofree gchar *digest = writer_digest (last + 1);

			record.seq = last + 1;
			record.attempts = (guint) record.seq;
			record.next_attempt = (gint64) record.seq * 1000;
			g_strlcpy (record.digest, digest, sizeof (record.digest));
			ok = esimd_store_set_notification (store, EID, &record, &error);
		}
		if (!ok) {
			g_printerr ("writer: %s\n", error->message);
			return 1;
		}
		if (!announced) {
			g_print ("writing\n");
			fflush (stdout);
			announced = TRUE;
		}
	}
	return 0;
}

static void
test_killed_writer (Fixture *f, gconstpointer data)
{
	g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
	guint64 last_seen_first = 0, last_seen_last = 0;
	gboolean moved = FALSE;

	g_assert_nonnull (self);
	esimd_store_free (open_store (f));
	for (guint round = 0; round < WRITER_ROUNDS; round++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSubprocess) writer = NULL;
		g_autoptr(GDataInputStream) out = NULL;
		g_autofree gchar *line = NULL;
		g_autoptr(EsimdStore) store = NULL;
		g_autoptr(GDir) listing = NULL;
		const gchar *name;
		guint64 first, last;

		writer = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self,
		                           "--store-writer", f->dir, NULL);
		g_assert_no_error (error);
		out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (writer));
		/* blocks until the writer has written once: it cannot hang, it writes or exits */
		line = g_data_input_stream_read_line (out, NULL, NULL, &error);
		g_assert_no_error (error);
		g_assert_cmpstr (line, ==, "writing");
		g_usleep (g_random_int_range (0, 40000));
		g_subprocess_send_signal (writer, SIGKILL);
		g_assert_true (g_subprocess_wait (writer, NULL, &error));
		g_assert_no_error (error);
		g_assert_true (g_subprocess_get_if_signaled (writer));

		listing = g_dir_open (f->dir, 0, &error);
		g_assert_no_error (error);
		while ((name = g_dir_read_name (listing)) != NULL) {
			if (strstr (name, ".esimd-") != NULL)
				g_test_message ("round %u: the writer was killed mid-save (%s)", round, name);
		}
		g_clear_pointer (&listing, g_dir_close);

		/* what a restarted esimd finds: a whole record, no corrupt file, no temporaries */
		store = open_store (f);
		check_writer_records (store, &first, &last);
		g_test_message ("round %u: records %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, round,
		                first, last);
		if (first != last_seen_first || last != last_seen_last)
			moved = TRUE;
		last_seen_first = first;
		last_seen_last = last;
		listing = g_dir_open (f->dir, 0, &error);
		g_assert_no_error (error);
		while ((name = g_dir_read_name (listing)) != NULL) {
			g_assert_null (strstr (name, ".esimd-"));
			g_assert_null (strstr (name, ".corrupt"));
		}
	}
	/* the writer did write between kills */
	g_assert_true (moved);
}

/* ---- corrupt records ---- */

/* Puts @contents at the record of EID, opens the store and expects the record to read as
 * empty, moved aside with a warning, and the store to work again. */
static void
assert_moved_aside (Fixture *f, const gchar *contents, gssize length)
{
	g_autoptr(EsimdStore) store = open_store (f);
	g_autofree gchar *path = record_path (f, EID);
	g_autofree gchar *aside = g_strconcat (path, ".corrupt", NULL);
	g_autofree gchar *kept = NULL;
	g_autoptr(GArray) list = NULL;
	EsimdNotificationRecord record;
	gsize kept_length = 0;

	g_test_message ("record: %.40s", contents);
	g_assert_true (g_file_set_contents (path, contents, length, NULL));
	g_test_expect_message ("esimd", G_LOG_LEVEL_WARNING,
	                       "the state record of eUICC 8904*35 in * cannot be read (*): "
	                       "moved aside to *.corrupt, starting afresh");
	list = esimd_store_get_notifications (store, EID);
	g_test_assert_expected_messages ();
	g_assert_cmpuint (list->len, ==, 0);
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
	/* kept for a human to look at */
	g_assert_true (g_file_get_contents (aside, &kept, &kept_length, NULL));
	g_assert_cmpuint (kept_length, ==, length >= 0 ? (gsize) length : strlen (contents));

	set_notification (store, EID, 5, TRUE, 0, 0, "");
	g_assert_true (esimd_store_lookup_notification (store, EID, 5, &record));
	g_assert_true (record.delivered);
	g_assert_true (esimd_store_forget_notification (store, EID, 5, NULL));
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
	g_autofree gchar *huge = g_strnfill (ESIMD_STORE_RECORD_MAX_BYTES + 1, '#');
	g_autofree gchar *path = record_path (f, EID);
	g_autofree gchar *sub = g_build_filename (path, "x", NULL);
	g_autofree gchar *aside = g_strconcat (path, ".corrupt", NULL);
	g_autoptr(EsimdStore) store = open_store (f);
	g_autoptr(GArray) list = NULL;

	assert_moved_aside (f, "not a key file\n", -1);
	assert_moved_aside (f, "[notification 1]\nDelivered=yes\n", -1);
	assert_moved_aside (f, "[notification 1]\nAttempts=-1\n", -1);
	assert_moved_aside (f, "[notification 1]\nAttempts=99999999999\n", -1);
	assert_moved_aside (f, "[notification 1]\nNextAttempt=soon\n", -1);
	assert_moved_aside (f, "[notification 1]\nDigest=../x\n", -1);
	assert_moved_aside (f, "[notification one]\n", -1);
	assert_moved_aside (f, "[notification 1]\nAttempts=1\n\0binary", 30);
	assert_moved_aside (f, huge, -1);

	/* not a regular file: a directory in the way is moved aside too */
	g_assert_cmpint (g_unlink (aside), ==, 0);
	g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
	g_assert_true (g_file_set_contents (sub, "", 0, NULL));
	g_test_expect_message ("esimd", G_LOG_LEVEL_WARNING, "*cannot be read*moved aside*");
	list = esimd_store_get_notifications (store, EID);
	g_test_assert_expected_messages ();
	g_assert_cmpuint (list->len, ==, 0);
	set_notification (store, EID, 1, FALSE, 1, 1, "");

	/* groups esimd does not know are kept, not taken for corruption */
	g_assert_true (g_file_set_contents (path, "[future]\nKey=value\n[notification 2]\n", -1,
	                                    NULL));
	set_notification (store, EID, 3, FALSE, 1, 1, "");
	g_clear_pointer (&list, g_array_unref);
	list = esimd_store_get_notifications (store, EID);
	g_assert_cmpuint (list->len, ==, 2);
	{
		g_autofree gchar *contents = NULL;

		g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
		g_assert_nonnull (strstr (contents, "[future]\nKey=value"));
	}
}

/* ---- the size cap ---- */

static void
test_size_cap (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdStore) store = open_store (f);
	g_autofree gchar *path = record_path (f, EID);
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) list = NULL;
	EsimdNotificationRecord record = { 0 };
	guint64 seq;

	memset (record.digest, 'f', ESIMD_STORE_DIGEST_MAX_LEN);
	for (seq = 1; ; seq++) {
		record.seq = seq;
		if (!esimd_store_set_notification (store, EID, &record, &error))
			break;
		g_assert_cmpuint (seq, <, ESIMD_STORE_RECORD_MAX_BYTES);
		g_clear_pointer (&before, g_free);
		g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
	}
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
	g_test_message ("%" G_GUINT64_FORMAT " records fit", seq - 1);
	g_assert_cmpuint (seq, >, 200);
	/* the refused write changed nothing, and the record stays readable */
	g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
	g_assert_cmpstr (after, ==, before);
	g_assert_cmpuint (strlen (after), <=, ESIMD_STORE_RECORD_MAX_BYTES);
	list = esimd_store_get_notifications (store, EID);
	g_assert_cmpuint (list->len, ==, seq - 1);
	/* replacing a record with one of the same size still works at the cap */
	record.seq = 1;
	record.attempts = 1;
	g_clear_error (&error);
	g_assert_true (esimd_store_set_notification (store, EID, &record, &error));
	g_assert_no_error (error);
}

/* ---- eIM results (the poll's journal) ---- */

static GBytes *
bytes_of (const gchar *text)
{
	return g_bytes_new (text, strlen (text));
}

static void
save_result (EsimdStore *store, const gchar *eid, const gchar *eim_id, const gchar *key,
             const gchar *text)
{
	g_autoptr(GBytes) encoded = bytes_of (text);
	g_autoptr(GError) error = NULL;

	g_assert_true (esimd_store_save_eim_result (store, eid, eim_id, key, encoded, &error));
	g_assert_no_error (error);
}

static void
assert_results (EsimdStore *store, const gchar *eid, const gchar *eim_id, const gchar *expected)
{
	g_autoptr(GPtrArray) keys = NULL;
	g_autoptr(GPtrArray) results = esimd_store_get_eim_results (store, eid, eim_id, &keys);
	g_autoptr(GString) seen = g_string_new ("");

	g_assert_cmpuint (keys->len, ==, results->len);
	for (guint i = 0; i < results->len; i++) {
		gsize len;
		const gchar *data = g_bytes_get_data (g_ptr_array_index (results, i), &len);

		g_string_append_printf (seen, "%s%s=%.*s", i > 0 ? " " : "",
		                        (const gchar *) g_ptr_array_index (keys, i), (gint) len, data);
	}
	g_assert_cmpstr (seen->str, ==, expected);
}

static void
test_eim_results (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdStore) store = open_store (f);
	g_autoptr(EsimdStore) reopened = NULL;
	g_autofree gchar *path = record_path (f, EID);
	g_autofree gchar *long_key = g_strnfill (ESIMD_STORE_EIM_KEY_MAX_LEN + 1, 'k');
	g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
	g_autoptr(GBytes) binary = g_bytes_new ("\xbf\x52\x00\n[x]", 7);
	g_autoptr(GPtrArray) results = NULL;
	g_autoptr(GError) error = NULL;

	assert_results (store, EID, "eim.example", "");
	/* in the order saved, per eIM; a save under the same key replaces in place */
	save_result (store, EID, "eim.example", "T1", "first");
	save_result (store, EID, "other eIM\nwith [odd] chars", "T1", "foreign");
	save_result (store, EID, "eim.example", "T2", "second");
	save_result (store, EID, "eim.example", "T1", "first-again");
	set_notification (store, EID, 5, TRUE, 0, 0, "");
	g_assert_true (esimd_store_save_eim_result (store, EID, "eim.example", "bin", binary,
	                                            &error));
	g_assert_no_error (error);

	/* what a restarted esimd reads: everything, byte for byte */
	reopened = open_store (f);
	assert_results (reopened, EID, "eim.example", "T1=first-again T2=second bin=\xbf\x52");
	results = esimd_store_get_eim_results (reopened, EID, "eim.example", NULL);
	g_assert_true (g_bytes_equal (g_ptr_array_index (results, 2), binary));
	assert_results (reopened, EID, "other eIM\nwith [odd] chars", "T1=foreign");
	assert_results (reopened, OTHER_EID, "eim.example", "");

	/* bad arguments change nothing */
	g_assert_false (esimd_store_save_eim_result (reopened, EID, "eim.example", "", binary,
	                                             &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_false (esimd_store_save_eim_result (reopened, EID, "eim.example", long_key,
	                                             binary, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_false (esimd_store_save_eim_result (reopened, EID, "", "T9", binary, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_false (esimd_store_save_eim_result (reopened, EID, "eim.example", "T9", empty,
	                                             &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_false (esimd_store_save_eim_result (reopened, "89", "eim.example", "T9", binary,
	                                             &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	/* acknowledged: forgotten; the file goes with the last record */
	g_assert_true (esimd_store_forget_eim_result (reopened, EID, "eim.example", "T1", &error));
	g_assert_true (esimd_store_forget_eim_result (reopened, EID, "eim.example", "T1", &error));
	g_assert_true (esimd_store_forget_eim_result (reopened, EID, "eim.example", "bin", &error));
	g_assert_no_error (error);
	assert_results (reopened, EID, "eim.example", "T2=second");
	g_assert_true (esimd_store_forget_eim_result (reopened, EID, "eim.example", "T2", &error));
	g_assert_true (esimd_store_forget_eim_result (reopened, EID, "other eIM\nwith [odd] chars",
	                                              "T1", &error));
	g_assert_true (esimd_store_forget_notification (reopened, EID, 5, &error));
	g_assert_no_error (error);
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* A corrupt result is never handed to the eIM: the record is moved aside. */
static void
test_eim_results_corrupt (Fixture *f, gconstpointer data)
{
	assert_moved_aside (f, "[eim-result 1]\nEimId=e\nKey=k\nData=!!!!\n", -1);
	assert_moved_aside (f, "[eim-result 1]\nEimId=e\nKey=k\nData=\n", -1);
	assert_moved_aside (f, "[eim-result 1]\nEimId=e\nKey=k\nData=YWJj\n"
	                    "[eim-result 2]\nKey=k\nData=YWJj\n", -1);
	assert_moved_aside (f, "[eim-result 1]\nEimId=e\nData=YWJj\n", -1);
	assert_moved_aside (f, "[eim-result x]\nEimId=e\nKey=k\nData=YWJj\n", -1);
	assert_moved_aside (f, "[eim-result 1]\nEimId=e\nKey=k\nData=YWJ\n", -1);
}

/* Results fill the record up to its cap, and no further. */
static void
test_eim_results_cap (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdStore) store = open_store (f);
	g_autofree gchar *big = g_strnfill (4096, 'r');
	g_autoptr(GBytes) encoded = bytes_of (big);
	g_autoptr(GPtrArray) results = NULL;
	g_autoptr(GError) error = NULL;
	guint n;

	for (n = 0; ; n++) {
		g_autofree gchar *key = g_strdup_printf ("K%u", n);

		if (!esimd_store_save_eim_result (store, EID, "eim.example", key, encoded, &error))
			break;
		g_assert_cmpuint (n, <, 64);
	}
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
	g_assert_cmpuint (n, >=, 8);
	results = esimd_store_get_eim_results (store, EID, "eim.example", NULL);
	g_assert_cmpuint (results->len, ==, n);
}

/* ---- the state directory ---- */

static void
test_directory (Fixture *f, gconstpointer data)
{
	g_autofree gchar *nested = g_build_filename (f->top, "a", "b", "state", NULL);
	g_autofree gchar *file = g_build_filename (f->top, "file", NULL);
	g_autofree gchar *temporary = NULL;
	g_autofree gchar *other = NULL;
	g_autoptr(EsimdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	struct stat st;
	mode_t old_umask;

	/* created private, parents too, whatever the umask */
	old_umask = umask (0);
	store = esimd_store_open (nested, &error);
	umask (old_umask);
	g_assert_no_error (error);
	g_assert_cmpstr (esimd_store_get_dir (store), ==, nested);
	g_assert_cmpint (stat (nested, &st), ==, 0);
	g_assert_cmpint (st.st_mode & 07777, ==, 0700);
	g_clear_pointer (&store, esimd_store_free);

	/* writable by others, not a directory */
	g_assert_cmpint (g_chmod (nested, 0757), ==, 0);
	g_assert_null (esimd_store_open (nested, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_nonnull (strstr (error->message, "mode 0757"));
	g_clear_error (&error);
	g_assert_cmpint (g_chmod (nested, 0700), ==, 0);
	g_assert_true (g_file_set_contents (file, "", 0, NULL));
	g_assert_null (esimd_store_open (file, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
	g_clear_error (&error);

	/* a killed save's temporary goes at the next start; other files stay */
	temporary = g_build_filename (nested, "euicc-" EID ".ini.esimd-Ab12Cd", NULL);
	other = g_build_filename (nested, "notes.esimd-Ab12Cd", NULL);
	g_assert_true (g_file_set_contents (temporary, "[notification 1]\n", -1, NULL));
	g_assert_true (g_file_set_contents (other, "", 0, NULL));
	store = esimd_store_open (nested, &error);
	g_assert_no_error (error);
	g_assert_false (g_file_test (temporary, G_FILE_TEST_EXISTS));
	g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
}

int
main (int argc, char *argv[])
{
	if (argc == 3 && g_strcmp0 (argv[1], "--store-writer") == 0)
		return run_writer (argv[2]);

	g_test_init (&argc, &argv, NULL);

	g_test_add ("/store/round-trip", Fixture, NULL, fixture_setup, test_round_trip,
	            fixture_teardown);
	g_test_add ("/store/bad-arguments", Fixture, NULL, fixture_setup, test_bad_arguments,
	            fixture_teardown);
	g_test_add ("/store/killed-writer", Fixture, NULL, fixture_setup, test_killed_writer,
	            fixture_teardown);
	g_test_add ("/store/corrupt", Fixture, NULL, fixture_setup, test_corrupt,
	            fixture_teardown);
	g_test_add ("/store/size-cap", Fixture, NULL, fixture_setup, test_size_cap,
	            fixture_teardown);
	g_test_add ("/store/eim-results", Fixture, NULL, fixture_setup, test_eim_results,
	            fixture_teardown);
	g_test_add ("/store/eim-results-corrupt", Fixture, NULL, fixture_setup,
	            test_eim_results_corrupt, fixture_teardown);
	g_test_add ("/store/eim-results-cap", Fixture, NULL, fixture_setup, test_eim_results_cap,
	            fixture_teardown);
	g_test_add ("/store/directory", Fixture, NULL, fixture_setup, test_directory,
	            fixture_teardown);
	return g_test_run ();
}
