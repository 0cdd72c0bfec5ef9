/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real esimd logging to a journal: its stderr is a stream connected to
 * /run/systemd/journal/stdout, as systemd sets it up for StandardError=journal,
 * and /run/systemd/journal/socket is ours, so esimd's GLib journald writer
 * sends its entries to this test.  Both paths are fixed in GLib (gjournal-
 * private.c checks the peer of stderr, gmessages.c sends to the socket), so the
 * test runs in a mount namespace of its own with a tmpfs on /run; where the
 * kernel or the container refuses namespaces the test is skipped.
 *
 * The entries are read as systemd documents its native protocol
 * (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/): one datagram per entry (or an
 * empty datagram carrying a memfd with the entry), each field either
 * "KEY=value\n" or "KEY\n", a 64-bit little-endian length, the value, "\n".
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "esimd-test-harness.h"

#define JOURNAL_DIR    "/run/systemd/journal"
#define JOURNAL_SOCKET JOURNAL_DIR "/socket"
#define JOURNAL_STDOUT JOURNAL_DIR "/stdout"
#define WAIT_MS        10000

/* why /run could not be made ours; NULL when it was */
static gchar *no_private_run;

static gboolean
write_file (const gchar *path, const gchar *text)
{
	return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

/* A mount namespace with a tmpfs on /run, entered while the process has one thread (a
 * user namespace too when not root).  Mounts made here are not seen outside. */
static void
enter_private_run (void)
{
	uid_t uid = getuid ();
	gid_t gid = getgid ();
	gint flags = CLONE_NEWNS | (uid != 0 ? CLONE_NEWUSER : 0);

	if (unshare (flags) != 0) {
		no_private_run = g_strdup_printf ("unshare: %s", g_strerror (errno));
		return;
	}
	if (uid != 0) {
		g_autofree gchar *uid_map = g_strdup_printf ("0 %u 1\n", (guint) uid);
		g_autofree gchar *gid_map = g_strdup_printf ("0 %u 1\n", (guint) gid);

		if (!write_file ("/proc/self/setgroups", "deny\n") ||
		    !write_file ("/proc/self/uid_map", uid_map) ||
		    !write_file ("/proc/self/gid_map", gid_map)) {
			no_private_run = g_strdup ("cannot map the user namespace");
			return;
		}
	}
	if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount ("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
		no_private_run = g_strdup_printf ("mount: %s", g_strerror (errno));
		return;
	}
	if (g_mkdir_with_parents (JOURNAL_DIR, 0755) != 0)
		no_private_run = g_strdup_printf ("mkdir %s: %s", JOURNAL_DIR, g_strerror (errno));
}

static gint
bound_socket (gint type, const gchar *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	gint fd = socket (AF_UNIX, type | SOCK_CLOEXEC, 0);

	g_assert_cmpint (fd, >=, 0);
	g_strlcpy (address.sun_path, path, sizeof (address.sun_path));
	g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof (address)), ==, 0);
	return fd;
}

/* ---- journald's native protocol, receiving side ---- */

typedef GHashTable Entry; /* field name -> value (gchar *, NUL added) */

static Entry *
parse_entry (const guint8 *data, gsize len)
{
	Entry *entry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	gsize pos = 0;

	while (pos < len) {
		const guint8 *end = memchr (data + pos, '\n', len - pos);
		const guint8 *equals = memchr (data + pos, '=', len - pos);
		gchar *key;

		g_assert_nonnull (end);
		if (equals != NULL && equals < end) {
			key = g_strndup ((const gchar *) data + pos, (gsize) (equals - data) - pos);
			g_assert_false (g_hash_table_contains (entry, key));
			g_hash_table_insert (entry, key,
			                     g_strndup ((const gchar *) equals + 1,
			                                (gsize) (end - equals) - 1));
			pos = (gsize) (end - data) + 1;
		} else {
			guint64 value_len;

			key = g_strndup ((const gchar *) data + pos, (gsize) (end - data) - pos);
			pos = (gsize) (end - data) + 1;
			g_assert_cmpuint (len - pos, >=, sizeof (value_len));
			memcpy (&value_len, data + pos, sizeof (value_len));
			value_len = GUINT64_FROM_LE (value_len);
			pos += sizeof (value_len);
			g_assert_cmpuint (len - pos, >, value_len);
			g_assert_cmpint (data[pos + value_len], ==, '\n');
			g_assert_false (g_hash_table_contains (entry, key));
			g_hash_table_insert (entry, key,
			                     g_strndup ((const gchar *) data + pos, value_len));
			pos += value_len + 1;
		}
	}
	return entry;
}

/* Reads every datagram waiting on @fd into @entries. */
static void
receive_entries (gint fd, GPtrArray *entries)
{
	for (;;) {
		guint8 buffer[65536];
		union {
			struct cmsghdr header;
			guint8 space[CMSG_SPACE (sizeof (gint))];
		} control;
		struct iovec iov = { buffer, sizeof (buffer) };
		struct msghdr message = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &control, .msg_controllen = sizeof (control),
		};
		struct cmsghdr *cmsg;
		ssize_t n = recvmsg (fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			g_assert_cmpint (errno, ==, EAGAIN);
			return;
		}
		cmsg = CMSG_FIRSTHDR (&message);
		if (cmsg != NULL && cmsg->cmsg_type == SCM_RIGHTS) {
			/* a large entry: an empty datagram with a memfd holding it */
			gint memfd;
			g_autofree gchar *path = NULL;
			g_autofree gchar *contents = NULL;
			gsize len = 0;

			g_assert_cmpint (n, ==, 0);
			memcpy (&memfd, CMSG_DATA (cmsg), sizeof (memfd));
			path = g_strdup_printf ("/proc/self/fd/%d", memfd);
			g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
			close (memfd);
			g_ptr_array_add (entries, parse_entry ((const guint8 *) contents, len));
			continue;
		}
		g_ptr_array_add (entries, parse_entry (buffer, (gsize) n));
	}
}

/* ---- the test ---- */

typedef struct {
	gint journal_fd;
	GPtrArray *entries;
	const gchar *message_prefix;
} EntryWait;

static Entry *
find_entry (GPtrArray *entries, const gchar *message_prefix)
{
	for (guint i = 0; i < entries->len; i++) {
		Entry *entry = g_ptr_array_index (entries, i);
		const gchar *message = g_hash_table_lookup (entry, "MESSAGE");

		if (message != NULL && g_str_has_prefix (message, message_prefix))
			return entry;
	}
	return NULL;
}

static gboolean
entry_arrived (gpointer user_data)
{
	EntryWait *wait = user_data;

	receive_entries (wait->journal_fd, wait->entries);
	return find_entry (wait->entries, wait->message_prefix) != NULL;
}

/* journald reads all the time: a datagram socket holds few entries (net.unix.
 * max_dgram_qlen) and GLib's writer blocks when it is full */
static gboolean
on_journal_readable (gint fd, GIOCondition condition, gpointer user_data)
{
	EntryWait *wait = user_data;

	receive_entries (wait->journal_fd, wait->entries);
	return G_SOURCE_CONTINUE;
}

static void
dump_entries (GPtrArray *entries)
{
	for (guint i = 0; i < entries->len; i++) {
		Entry *entry = g_ptr_array_index (entries, i);

		g_test_message ("entry %u: PRIORITY=%s GLIB_DOMAIN=%s ESIMD_EUICC=%s MESSAGE=%s", i,
		                (gchar *) g_hash_table_lookup (entry, "PRIORITY"),
		                (gchar *) g_hash_table_lookup (entry, "GLIB_DOMAIN"),
		                (gchar *) g_hash_table_lookup (entry, "ESIMD_EUICC"),
		                (gchar *) g_hash_table_lookup (entry, "MESSAGE"));
	}
}

static Entry *
wait_entry (EsimdTestHarness *h, EntryWait *wait, const gchar *message_prefix)
{
	wait->message_prefix = message_prefix;
	if (!esim_test_wait_try (WAIT_MS, entry_arrived, wait)) {
		dump_entries (wait->entries);
		esim_test_wait_fail (WAIT_MS, "the journal entry \"%s…\"", message_prefix);
	}
	return find_entry (wait->entries, message_prefix);
}

static gboolean
name_owned (gpointer user_data)
{
	return esimd_test_harness_get_name_owner (user_data) != NULL;
}

static gboolean
has_long_digit_run (const gchar *text)
{
	guint run = 0;

	for (const gchar *p = text; *p != '\0'; p++) {
		run = g_ascii_isdigit (*p) ? run + 1 : 0;
		if (run >= 32)
			return TRUE;
	}
	return FALSE;
}

static void
test_journal_native (void)
{
	g_autoptr(EsimdTestHarness) h = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) esimd = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *card = NULL;
	g_autofree gchar *card_arg = NULL;
	g_autofree gchar *state_arg = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *config_arg = NULL;
	g_autofree gchar *config_dir = NULL;
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	EntryWait wait = { -1, NULL, NULL };
	gint stream_listener, stream_client, stream_server;
	guint reader_id;
	guint8 stray[256];
	Entry *entry;

	if (no_private_run != NULL) {
		g_autofree gchar *reason = g_strdup_printf ("no private /run (%s)", no_private_run);
		g_test_skip (reason);
		return;
	}

	/* first: GTestDBus forks a watcher that would keep our end of the stream open */
	h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);

	/* journald's two sockets, and a stream as systemd gives a service for stderr */
	wait.journal_fd = bound_socket (SOCK_DGRAM, JOURNAL_SOCKET);
	stream_listener = bound_socket (SOCK_STREAM, JOURNAL_STDOUT);
	g_assert_cmpint (listen (stream_listener, 4), ==, 0);
	stream_client = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_strlcpy (address.sun_path, JOURNAL_STDOUT, sizeof (address.sun_path));
	g_assert_cmpint (connect (stream_client, (struct sockaddr *) &address, sizeof (address)), ==,
	                 0);
	stream_server = accept4 (stream_listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	g_assert_cmpint (stream_server, >=, 0);
	entries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
	wait.entries = entries;
	reader_id = g_unix_fd_add (wait.journal_fd, G_IO_IN, on_journal_readable, &wait);

	card = esimd_test_harness_card_path (h, 0);
	card_arg = g_strdup_printf ("--virtual-euicc=%s", card);
	state_arg = g_strdup_printf ("--state-dir=%s/state", esimd_test_harness_get_tmpdir (h));
	config = esimd_test_harness_config_path (h);
	g_assert_true (g_file_set_contents (config, "", 0, NULL));
	config_arg = g_strdup_printf ("--config=%s", config);
	config_dir = esimd_test_harness_config_dir (h);
	launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
	g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
	                              esimd_test_harness_get_bus_address (h), TRUE);
	g_subprocess_launcher_setenv (launcher, "ESIMD_CONFIG_DIR", config_dir, TRUE);
	/* the debug messages of the core library's domain, not of esimd's own */
	g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "esim", TRUE);
	g_subprocess_launcher_take_stdout_fd (launcher, fcntl (stream_client, F_DUPFD_CLOEXEC, 3));
	g_subprocess_launcher_take_stderr_fd (launcher, stream_client);
	esimd = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ESIMD"), "--session",
	                                     card_arg, state_arg, config_arg, NULL);
	g_assert_no_error (error);
	/* the launcher holds our ends of the stream: once esimd exits, the stream ends */
	g_clear_object (&launcher);
	if (!esim_test_wait_try (WAIT_MS, name_owned, h)) {
		receive_entries (wait.journal_fd, entries);
		dump_entries (entries);
		esim_test_wait_fail (WAIT_MS, "esimd to own %s", ESIMD_TEST_BUS_NAME);
	}

	/* g_message(): GLib's PRIORITY, esimd's identifier */
	entry = wait_entry (h, &wait, "ready on " ESIMD_TEST_BUS_NAME);
	g_assert_cmpstr (g_hash_table_lookup (entry, "PRIORITY"), ==, "5");
	g_assert_cmpstr (g_hash_table_lookup (entry, "SYSLOG_IDENTIFIER"), ==, "esimd");
	g_assert_cmpstr (g_hash_table_lookup (entry, "GLIB_DOMAIN"), ==, "esimd");
	g_assert_null (g_hash_table_lookup (entry, "ESIMD_EUICC"));

	/* an eUICC's message: info priority, its log id and masked EID as fields */
	entry = wait_entry (h, &wait, "EID ");
	g_assert_cmpstr (g_hash_table_lookup (entry, "PRIORITY"), ==, "6");
	g_assert_cmpstr (g_hash_table_lookup (entry, "ESIMD_EUICC"), ==, "euicc0");
	g_assert_cmpstr (g_hash_table_lookup (entry, "ESIMD_OBJECT"), ==, "euicc0");
	g_assert_nonnull (strstr (g_hash_table_lookup (entry, "ESIMD_EID"), "…"));
	g_assert_cmpstr (g_hash_table_lookup (entry, "SYSLOG_IDENTIFIER"), ==, "esimd");

	/* G_MESSAGES_DEBUG=esim: that domain's debug messages, not esimd's */
	entry = wait_entry (h, &wait, "ISD-R selected");
	g_assert_cmpstr (g_hash_table_lookup (entry, "PRIORITY"), ==, "7");
	g_assert_cmpstr (g_hash_table_lookup (entry, "GLIB_DOMAIN"), ==, "esim");

	/* stopping is logged too */
	g_subprocess_send_signal (esimd, SIGTERM);
	wait_entry (h, &wait, "stopping on signal");
	g_subprocess_wait_check (esimd, NULL, &error);
	g_assert_no_error (error);
	receive_entries (wait.journal_fd, entries);

	for (guint i = 0; i < entries->len; i++) {
		GHashTableIter iter;
		gpointer key, value;

		entry = g_ptr_array_index (entries, i);
		g_assert_nonnull (g_hash_table_lookup (entry, "PRIORITY"));
		if (g_strcmp0 (g_hash_table_lookup (entry, "GLIB_DOMAIN"), "esimd") == 0)
			g_assert_cmpstr (g_hash_table_lookup (entry, "PRIORITY"), !=, "7");
		/* no EID in full, in any field */
		g_hash_table_iter_init (&iter, entry);
		while (g_hash_table_iter_next (&iter, &key, &value))
			g_assert_false (has_long_digit_run (value));
	}
	/* and nothing went to the stream as well: each message is logged once */
	g_assert_cmpint (read (stream_server, stray, sizeof (stray)), ==, 0);

	g_source_remove (reader_id);
	close (stream_server);
	close (stream_listener);
	close (wait.journal_fd);
}

int
main (int argc, char **argv)
{
	/* before GLib starts a thread */
	enter_private_run ();
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/journal/native-protocol", test_journal_native);
	return g_test_run ();
}
