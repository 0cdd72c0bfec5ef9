/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See esimd-test-harness.h.  Test code: assertions are allowed here. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esimd-test-harness.h"

/* a property read answers at once; the deadline is for a stuck daemon */
#define HARNESS_CALL_TIMEOUT_MS 60000

#define HARNESS_NAME_TIMEOUT_MS    10000
#define HARNESS_PROCESS_TIMEOUT_MS 10000
#define HARNESS_STOP_TIMEOUT_MS    5000
#define POLKIT_BUS_NAME            "org.freedesktop.PolicyKit1"
#define POLKIT_AUTHORITY_PATH      "/org/freedesktop/PolicyKit1/Authority"
#define DBUSMOCK_IFACE             "org.freedesktop.DBus.Mock"

struct _EsimdTestHarness {
	EsimdTestBusMode  mode;
	gchar            *tmpdir;
	GTestDBus        *bus;
	GDBusConnection  *connection;
	guint             name_watch_id;
	gchar            *name_owner;

	GSubprocess      *daemon;
	gboolean          daemon_exited;
	gint              daemon_status;

	GSubprocess      *polkit;
	guint             polkit_watch_id;
	gboolean          polkit_on_bus;
};

/* The log of the current harness, copied to stderr when the test aborts (a
 * failed g_assert or a fatal critical), so that the daemon's side is visible. */
static gchar harness_abort_log_path[4096];
/* The running daemon, stopped on abort: it must not outlive the test. */
static volatile pid_t harness_abort_daemon_pid = 0;
/* GTestDBus's dbus-daemon shares our stderr and outlives an abort: without
 * this, meson waits for the test's output to close until its timeout. */
static volatile pid_t harness_abort_bus_pid = 0;
/* The SIGABRT handler the test program had before the harness (its own
 * children to stop, say), run after ours; likewise for SIGTRAP, which
 * g_error() raises. */
static struct sigaction harness_previous_abort_action;
static struct sigaction harness_previous_trap_action;

/* The bus driver answers GetConnectionUnixProcessID for itself with the
 * dbus-daemon's pid. */
static void
harness_remember_bus_pid (GDBusConnection *connection)
{
	g_autoptr(GVariant) reply = NULL;
	guint32 pid = 0;

	reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                                     "org.freedesktop.DBus", "GetConnectionUnixProcessID",
	                                     g_variant_new ("(s)", "org.freedesktop.DBus"),
	                                     G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000,
	                                     NULL, NULL);
	if (reply != NULL)
		g_variant_get (reply, "(u)", &pid);
	harness_abort_bus_pid = (pid_t) pid;
}

static void
harness_abort_handler (int signum)
{
	static const char header[] = "\n===== esimd log (test aborted) =====\n";
	const struct sigaction *previous;
	char buf[4096];
	ssize_t n;
	int fd;

	if (harness_abort_daemon_pid > 0)
		kill (harness_abort_daemon_pid, SIGTERM);
	if (harness_abort_bus_pid > 0)
		kill (harness_abort_bus_pid, SIGTERM);
	fd = open (harness_abort_log_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write (STDERR_FILENO, header, sizeof (header) - 1) < 0) {
			/* nothing better to do in a signal handler */
		}
		while ((n = read (fd, buf, sizeof (buf))) > 0) {
			if (write (STDERR_FILENO, buf, (size_t) n) < 0)
				break;
		}
		close (fd);
	}
	previous = signum == SIGTRAP ? &harness_previous_trap_action : &harness_previous_abort_action;
	if (!(previous->sa_flags & SA_SIGINFO) && previous->sa_handler != SIG_DFL &&
	    previous->sa_handler != SIG_IGN && previous->sa_handler != harness_abort_handler) {
		/* it ends the process the same way */
		previous->sa_handler (signum);
		return;
	}
	signal (signum, SIG_DFL);
	raise (signum);
}

static void
harness_install_abort_handler (const gchar *log_path)
{
	static gboolean installed = FALSE;

	g_strlcpy (harness_abort_log_path, log_path, sizeof (harness_abort_log_path));
	if (!installed) {
		struct sigaction sa = { 0 };
		sa.sa_handler = harness_abort_handler;
		sigemptyset (&sa.sa_mask);
		sigaction (SIGABRT, &sa, &harness_previous_abort_action);
		/* g_error () ends a test with SIGTRAP: the daemon must not outlive that either */
		sigaction (SIGTRAP, &sa, &harness_previous_trap_action);
		installed = TRUE;
	}
}

static gint
harness_status_from_process (GSubprocess *proc)
{
	if (g_subprocess_get_if_exited (proc))
		return g_subprocess_get_exit_status (proc);
	if (g_subprocess_get_if_signaled (proc))
		return 128 + g_subprocess_get_term_sig (proc);
	return -1;
}

/* ---- main loop helpers ---- */

gboolean
esimd_test_harness_wait_for (EsimdTestHarness *h,
                             guint timeout_ms,
                             EsimdTestHarnessCondition condition,
                             gpointer user_data)
{
	return esim_test_wait_try (timeout_ms, condition, user_data);
}

void
esimd_test_harness_spin (EsimdTestHarness *h, guint ms)
{
	esim_test_spin (ms);
}

static gboolean
harness_flag_is_set (gpointer user_data)
{
	return *(gboolean *) user_data;
}

/* ---- child processes ---- */

static gchar **
harness_child_environ (EsimdTestHarness *h)
{
	gchar **env = g_get_environ ();
	const gchar *address = g_test_dbus_get_bus_address (h->bus);
	g_autofree gchar *config_dir = esimd_test_harness_config_dir (h);
	g_autofree gchar *xdg_state = g_build_filename (h->tmpdir, "xdg-state", NULL);

	if (h->mode == ESIMD_TEST_BUS_SESSION) {
		env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
		env = g_environ_unsetenv (env, "DBUS_SYSTEM_BUS_ADDRESS");
	} else {
		env = g_environ_setenv (env, "DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
		env = g_environ_unsetenv (env, "DBUS_SESSION_BUS_ADDRESS");
	}
	env = g_environ_unsetenv (env, "DBUS_STARTER_ADDRESS");
	env = g_environ_unsetenv (env, "DBUS_STARTER_BUS_TYPE");
	env = g_environ_setenv (env, "ESIMD_CONFIG_DIR", config_dir, TRUE);
	/* a --session daemon without --state-dir keeps its state there, not in $HOME */
	env = g_environ_setenv (env, "XDG_STATE_HOME", xdg_state, TRUE);
	return env;
}

static void
harness_process_waited_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	gboolean *done = user_data;
	g_autoptr(GError) error = NULL;

	g_subprocess_wait_finish (G_SUBPROCESS (source), res, &error);
	*done = TRUE;
}

/* Waits for @proc to exit; after @timeout_ms it is killed.  TRUE if it exited in time. */
static gboolean
harness_wait_process (EsimdTestHarness *h, GSubprocess *proc, guint timeout_ms)
{
	gboolean done = FALSE;
	gboolean in_time;

	g_subprocess_wait_async (proc, NULL, harness_process_waited_cb, &done);
	in_time = esim_test_wait_try (timeout_ms, harness_flag_is_set, &done);
	if (!in_time)
		g_subprocess_force_exit (proc);
	/* the callback writes to this frame: never leave before it ran */
	esim_test_wait_until (done, "a killed child process to exit");
	return in_time;
}

typedef struct {
	gboolean  done;
	GBytes   *out;
	GBytes   *err;
	GError   *error;
} HarnessCommunicate;

static void
harness_communicate_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	HarnessCommunicate *comm = user_data;

	g_subprocess_communicate_finish (G_SUBPROCESS (source), res, &comm->out, &comm->err,
	                                 &comm->error);
	comm->done = TRUE;
}

static gchar *
harness_bytes_to_string (GBytes *bytes)
{
	gsize len = 0;
	const gchar *data;

	if (bytes == NULL)
		return g_strdup ("");
	data = g_bytes_get_data (bytes, &len);
	return g_strndup (data != NULL ? data : "", len);
}

/* Runs @argv to completion with @env; returns its exit status (-1 on timeout). */
static gint
harness_run_process (EsimdTestHarness *h,
                     const gchar *const *argv,
                     gchar **env,
                     gchar **out,
                     gchar **err_out)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	g_autoptr(GError) error = NULL;
	HarnessCommunicate comm = { 0 };
	gint status;

	/* stdin is /dev/null: never a TTY */
	launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                      G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_set_environ (launcher, env);
	proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
	g_assert_no_error (error);

	g_subprocess_communicate_async (proc, NULL, cancellable, harness_communicate_cb, &comm);
	if (!esim_test_wait_try (HARNESS_PROCESS_TIMEOUT_MS, harness_flag_is_set, &comm.done)) {
		g_test_message ("%s did not exit within %u ms: killed", argv[0],
		                esim_test_wait_scaled_ms (HARNESS_PROCESS_TIMEOUT_MS));
		g_subprocess_force_exit (proc);
		g_cancellable_cancel (cancellable);
		esim_test_wait_until (comm.done, "%s to exit after SIGKILL", argv[0]);
		status = -1;
	} else {
		g_assert_no_error (comm.error);
		status = harness_status_from_process (proc);
	}
	if (out != NULL)
		*out = harness_bytes_to_string (comm.out);
	if (err_out != NULL)
		*err_out = harness_bytes_to_string (comm.err);
	g_clear_pointer (&comm.out, g_bytes_unref);
	g_clear_pointer (&comm.err, g_bytes_unref);
	g_clear_error (&comm.error);
	return status;
}

static const gchar *
harness_getenv_required (const gchar *name)
{
	const gchar *value = g_getenv (name);

	if (value == NULL || value[0] == '\0') {
		g_printerr ("$%s is not set: run the test through meson test\n", name);
		g_assert_not_reached ();
	}
	return value;
}

/* ---- bus name tracking ---- */

static void
harness_name_appeared_cb (GDBusConnection *connection,
                          const gchar *name,
                          const gchar *name_owner,
                          gpointer user_data)
{
	EsimdTestHarness *h = user_data;

	g_free (h->name_owner);
	h->name_owner = g_strdup (name_owner);
}

static void
harness_name_vanished_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	EsimdTestHarness *h = user_data;

	g_clear_pointer (&h->name_owner, g_free);
}

/* ---- construction ---- */

/* The demo cards esimd makes notify smdp.example.com: no test reaches out to it on its own.
 * A test that wants esimd to send notifications by itself says so in a later drop-in. */
static void
harness_write_defaults (const gchar *config_dir)
{
	g_autofree gchar *path = g_build_filename (config_dir, "00-harness.conf", NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents (path, "# the test harness: no automatic notification delivery\n"
	                     "[notifications]\nAutomatic=false\n", -1, &error);
	g_assert_no_error (error);
}

EsimdTestHarness *
esimd_test_harness_new (EsimdTestBusMode mode)
{
	EsimdTestHarness *h = g_new0 (EsimdTestHarness, 1);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *log_path = NULL;
	g_autofree gchar *config_dir = NULL;

	h->mode = mode;
	h->tmpdir = g_dir_make_tmp ("esimd-test-XXXXXX", &error);
	g_assert_no_error (error);
	log_path = esimd_test_harness_log_path (h);
	harness_install_abort_handler (log_path);
	config_dir = esimd_test_harness_config_dir (h);
	g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
	harness_write_defaults (config_dir);

	h->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
	g_test_dbus_up (h->bus);
	h->connection = g_dbus_connection_new_for_address_sync (
		g_test_dbus_get_bus_address (h->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error (error);
	g_dbus_connection_set_exit_on_close (h->connection, FALSE);
	harness_remember_bus_pid (h->connection);
	h->name_watch_id = g_bus_watch_name_on_connection (h->connection, ESIMD_TEST_BUS_NAME,
	                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
	                                                   harness_name_appeared_cb,
	                                                   harness_name_vanished_cb, h, NULL);
	return h;
}

static void
harness_print_log (EsimdTestHarness *h)
{
	g_autofree gchar *log = esimd_test_harness_read_log (h);

	if (log != NULL && log[0] != '\0')
		g_printerr ("\n===== esimd log (%s) =====\n%s===== end of esimd log =====\n",
		            h->tmpdir, log);
}

static void
harness_remove_tree (const gchar *path)
{
	g_autoptr(GFile) file = g_file_new_for_path (path);
	g_autoptr(GFileEnumerator) children = NULL;

	children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME ","
	                                      G_FILE_ATTRIBUTE_STANDARD_TYPE,
	                                      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
	while (children != NULL) {
		g_autoptr(GFileInfo) info = g_file_enumerator_next_file (children, NULL, NULL);
		g_autofree gchar *child = NULL;

		if (info == NULL)
			break;
		child = g_build_filename (path, g_file_info_get_name (info), NULL);
		if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
			harness_remove_tree (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

static void
harness_stop_polkit (EsimdTestHarness *h)
{
	if (h->polkit_watch_id != 0) {
		g_bus_unwatch_name (h->polkit_watch_id);
		h->polkit_watch_id = 0;
	}
	if (h->polkit == NULL)
		return;
	g_subprocess_send_signal (h->polkit, SIGTERM);
	harness_wait_process (h, h->polkit, HARNESS_STOP_TIMEOUT_MS);
	g_clear_object (&h->polkit);
}

void
esimd_test_harness_free (EsimdTestHarness *h)
{
	if (h == NULL)
		return;
	if (h->daemon != NULL)
		esimd_test_harness_stop_daemon (h);
	harness_stop_polkit (h);
	if (g_test_failed ())
		harness_print_log (h);
	harness_abort_log_path[0] = '\0';

	g_bus_unwatch_name (h->name_watch_id);
	g_dbus_connection_close_sync (h->connection, NULL, NULL);
	g_clear_object (&h->connection);
	/* let pending callbacks of the closed connection run before the bus goes */
	while (g_main_context_iteration (NULL, FALSE))
		;
	g_test_dbus_down (h->bus);
	harness_abort_bus_pid = 0;
	g_clear_object (&h->bus);

	harness_remove_tree (h->tmpdir);
	g_free (h->tmpdir);
	g_free (h->name_owner);
	g_free (h);
}

/* ---- accessors ---- */

EsimdTestBusMode
esimd_test_harness_get_mode (EsimdTestHarness *h)
{
	return h->mode;
}

const gchar *
esimd_test_harness_get_tmpdir (EsimdTestHarness *h)
{
	return h->tmpdir;
}

GDBusConnection *
esimd_test_harness_get_connection (EsimdTestHarness *h)
{
	return h->connection;
}

const gchar *
esimd_test_harness_get_bus_address (EsimdTestHarness *h)
{
	return g_test_dbus_get_bus_address (h->bus);
}

gchar *
esimd_test_harness_card_path (EsimdTestHarness *h, guint i)
{
	g_autofree gchar *name = g_strdup_printf ("card%u.ini", i);
	return g_build_filename (h->tmpdir, name, NULL);
}

gchar *
esimd_test_harness_config_path (EsimdTestHarness *h)
{
	return g_build_filename (h->tmpdir, "esimd.conf", NULL);
}

gchar *
esimd_test_harness_config_dir (EsimdTestHarness *h)
{
	return g_build_filename (h->tmpdir, "esimd.conf.d", NULL);
}

gchar *
esimd_test_harness_log_path (EsimdTestHarness *h)
{
	return g_build_filename (h->tmpdir, "esimd.log", NULL);
}

gchar *
esimd_test_harness_read_log (EsimdTestHarness *h)
{
	g_autofree gchar *path = esimd_test_harness_log_path (h);
	gchar *contents = NULL;

	if (!g_file_get_contents (path, &contents, NULL, NULL))
		return g_strdup ("");
	return contents;
}

const gchar *
esimd_test_harness_get_name_owner (EsimdTestHarness *h)
{
	return h->name_owner;
}

/* ---- polkit ---- */

static gchar *
harness_find_dbusmock_python (EsimdTestHarness *h)
{
	const gchar *candidates[] = { g_getenv ("ESIMD_TEST_PYTHON"), "python3", "/usr/bin/python3" };
	g_auto(GStrv) env = g_get_environ ();

	for (guint i = 0; i < G_N_ELEMENTS (candidates); i++) {
		g_autofree gchar *python = NULL;
		const gchar *argv[] = { NULL, "-c", "import dbusmock", NULL };

		if (candidates[i] == NULL)
			continue;
		python = g_find_program_in_path (candidates[i]);
		if (python == NULL)
			continue;
		argv[0] = python;
		if (harness_run_process (h, argv, env, NULL, NULL) == 0)
			return g_steal_pointer (&python);
	}
	return NULL;
}

static void
harness_polkit_appeared_cb (GDBusConnection *connection,
                            const gchar *name,
                            const gchar *name_owner,
                            gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	h->polkit_on_bus = TRUE;
}

static void
harness_polkit_vanished_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	h->polkit_on_bus = FALSE;
}

static gboolean
harness_polkit_ready (gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	return h->polkit_on_bus || g_subprocess_get_identifier (h->polkit) == NULL;
}

void
esimd_test_harness_polkit_set_allowed (EsimdTestHarness *h, const gchar *const *allowed_actions)
{
	const gchar *const none[] = { NULL };
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull (h->polkit);
	reply = g_dbus_connection_call_sync (h->connection, POLKIT_BUS_NAME, POLKIT_AUTHORITY_PATH,
	                                     DBUSMOCK_IFACE, "SetAllowed",
	                                     g_variant_new ("(^as)", allowed_actions != NULL ?
	                                                    allowed_actions : none),
	                                     NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
	g_assert_no_error (error);
}

gboolean
esimd_test_harness_start_polkit (EsimdTestHarness *h, const gchar *const *allowed_actions)
{
	g_autofree gchar *python = NULL;
	g_autofree gchar *log_path = g_build_filename (h->tmpdir, "polkitd.log", NULL);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) env = NULL;

	g_assert_null (h->polkit);
	python = harness_find_dbusmock_python (h);
	if (python == NULL) {
		g_test_message ("no python3 with the dbusmock module");
		return FALSE;
	}

	env = g_get_environ ();
	env = g_environ_setenv (env, "DBUS_SYSTEM_BUS_ADDRESS",
	                        g_test_dbus_get_bus_address (h->bus), TRUE);
	launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_subprocess_launcher_set_environ (launcher, env);
	g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
	h->polkit = g_subprocess_launcher_spawn (launcher, &error, python, "-m", "dbusmock",
	                                         "--system", "--template", "polkitd", NULL);
	g_assert_no_error (error);

	h->polkit_watch_id = g_bus_watch_name_on_connection (h->connection, POLKIT_BUS_NAME,
	                                                     G_BUS_NAME_WATCHER_FLAGS_NONE,
	                                                     harness_polkit_appeared_cb,
	                                                     harness_polkit_vanished_cb, h, NULL);
	esim_test_wait_try (HARNESS_NAME_TIMEOUT_MS, harness_polkit_ready, h);
	if (!h->polkit_on_bus) {
		g_autofree gchar *log = NULL;
		g_file_get_contents (log_path, &log, NULL, NULL);
		g_printerr ("mock polkitd did not appear on the bus:\n%s\n", log != NULL ? log : "");
		if (!harness_polkit_ready (h))
			esim_test_wait_fail (HARNESS_NAME_TIMEOUT_MS, "mock polkitd to own %s",
			                     POLKIT_BUS_NAME);
		g_assert_true (h->polkit_on_bus);
	}
	esimd_test_harness_polkit_set_allowed (h, allowed_actions);
	return TRUE;
}

/* ---- the daemon ---- */

static void
harness_daemon_waited_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	GSubprocess *proc = G_SUBPROCESS (source);
	g_autoptr(GError) error = NULL;

	g_subprocess_wait_finish (proc, res, &error);
	if (proc != h->daemon)
		return;
	harness_abort_daemon_pid = 0;
	h->daemon_exited = TRUE;
	h->daemon_status = harness_status_from_process (proc);
}

static void
harness_append_log (EsimdTestHarness *h, const gchar *text)
{
	g_autofree gchar *path = esimd_test_harness_log_path (h);
	g_autoptr(GFile) file = g_file_new_for_path (path);
	g_autoptr(GFileOutputStream) stream = NULL;

	stream = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, NULL);
	if (stream != NULL)
		g_output_stream_write_all (G_OUTPUT_STREAM (stream), text, strlen (text), NULL, NULL,
		                           NULL);
}

void
esimd_test_harness_spawn_daemon (EsimdTestHarness *h,
                                 guint n_cards,
                                 const gchar *const *extra_args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *state_dir = g_build_filename (h->tmpdir, "state", NULL);
	g_autofree gchar *log_path = esimd_test_harness_log_path (h);
	g_autofree gchar *cmdline = NULL;
	g_autofree gchar *header = NULL;
	g_auto(GStrv) env = harness_child_environ (h);
	int log_fd;

	g_assert_null (h->daemon);
	if (!g_file_test (config, G_FILE_TEST_EXISTS))
		g_assert_true (g_file_set_contents (config, "", 0, NULL));

	g_ptr_array_add (argv, g_strdup (harness_getenv_required ("ESIMD")));
	if (h->mode == ESIMD_TEST_BUS_SESSION)
		g_ptr_array_add (argv, g_strdup ("--session"));
	for (guint i = 0; i < n_cards; i++) {
		g_autofree gchar *card = esimd_test_harness_card_path (h, i);
		g_ptr_array_add (argv, g_strdup_printf ("--virtual-euicc=%s", card));
	}
	g_ptr_array_add (argv, g_strdup_printf ("--state-dir=%s", state_dir));
	g_ptr_array_add (argv, g_strdup_printf ("--config=%s", config));
	g_ptr_array_add (argv, g_strdup ("--debug"));
	for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
		g_ptr_array_add (argv, g_strdup (extra_args[i]));
	g_ptr_array_add (argv, NULL);

	cmdline = g_strjoinv (" ", (gchar **) argv->pdata);
	header = g_strdup_printf ("===== %s\n", cmdline);
	harness_append_log (h, header);
	g_test_message ("starting %s", cmdline);

	log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	g_assert_cmpint (log_fd, >=, 0);
	launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_subprocess_launcher_set_environ (launcher, env);
	g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
	h->daemon = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata,
	                                          &error);
	g_assert_no_error (error);
	h->daemon_exited = FALSE;
	h->daemon_status = -1;
	harness_abort_daemon_pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (h->daemon),
	                                                    NULL, 10);
	g_subprocess_wait_async (h->daemon, NULL, harness_daemon_waited_cb, h);
}

static gboolean
harness_daemon_ready_or_gone (gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	return h->name_owner != NULL || h->daemon_exited;
}

void
esimd_test_harness_start_daemon (EsimdTestHarness *h,
                                 guint n_cards,
                                 const gchar *const *extra_args)
{
	esimd_test_harness_spawn_daemon (h, n_cards, extra_args);
	/* on a timeout, the abort handler prints the daemon's log */
	esim_test_wait_until_func (HARNESS_NAME_TIMEOUT_MS, harness_daemon_ready_or_gone, h,
	                           "esimd to own %s", ESIMD_TEST_BUS_NAME);
	if (h->name_owner == NULL) {
		harness_print_log (h);
		g_printerr ("esimd exited with status %d before owning %s\n", h->daemon_status,
		            ESIMD_TEST_BUS_NAME);
		g_assert_nonnull (h->name_owner);
	}
}

gboolean
esimd_test_harness_daemon_exited (EsimdTestHarness *h, gint *status)
{
	while (g_main_context_iteration (NULL, FALSE))
		;
	if (status != NULL)
		*status = h->daemon_status;
	return h->daemon_exited;
}

static gboolean
harness_daemon_gone (gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	return h->daemon_exited;
}

gboolean
esimd_test_harness_wait_daemon_exit (EsimdTestHarness *h, guint timeout_ms, gint *status)
{
	if (h->daemon != NULL)
		esim_test_wait_try (timeout_ms, harness_daemon_gone, h);
	return esimd_test_harness_daemon_exited (h, status);
}

static gboolean
harness_name_released (gpointer user_data)
{
	EsimdTestHarness *h = user_data;
	return h->name_owner == NULL;
}

void
esimd_test_harness_stop_daemon (EsimdTestHarness *h)
{
	if (h->daemon == NULL)
		return;
	if (!h->daemon_exited) {
		g_subprocess_send_signal (h->daemon, SIGTERM);
		if (!esim_test_wait_try (HARNESS_STOP_TIMEOUT_MS, harness_daemon_gone, h)) {
			g_test_message ("esimd ignored SIGTERM: killed");
			g_subprocess_force_exit (h->daemon);
			esim_test_wait_until (h->daemon_exited, "esimd to exit after SIGKILL");
		}
	}
	g_clear_object (&h->daemon);
	/* a restarted daemon must not be mistaken for this one */
	esim_test_wait_until_func (HARNESS_STOP_TIMEOUT_MS, harness_name_released, h,
	                           "the bus to drop esimd's name %s", ESIMD_TEST_BUS_NAME);
}

void
esimd_test_harness_kill_daemon (EsimdTestHarness *h)
{
	if (h->daemon == NULL)
		return;
	if (!h->daemon_exited) {
		g_subprocess_force_exit (h->daemon);
		esim_test_wait_until (h->daemon_exited, "esimd to exit after SIGKILL");
	}
	g_clear_object (&h->daemon);
	esim_test_wait_until_func (HARNESS_STOP_TIMEOUT_MS, harness_name_released, h,
	                           "the bus to drop esimd's name %s", ESIMD_TEST_BUS_NAME);
}

/* ---- one-shot runs ---- */

static GPtrArray *
harness_collect_args (const gchar *first, va_list args)
{
	GPtrArray *argv = g_ptr_array_new ();

	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	g_ptr_array_add (argv, NULL);
	return argv;
}

gchar *
esimd_test_harness_run_cli_argv (EsimdTestHarness *h,
                                 const gchar *const *argv,
                                 gint *exit_status,
                                 gchar **err_out)
{
	g_autoptr(GPtrArray) full = g_ptr_array_new ();
	g_auto(GStrv) env = harness_child_environ (h);
	gchar *out = NULL;
	gint status;

	g_ptr_array_add (full, (gpointer) harness_getenv_required ("ESIMCLI"));
	if (h->mode == ESIMD_TEST_BUS_SESSION)
		g_ptr_array_add (full, (gpointer) "--session");
	for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
		g_ptr_array_add (full, (gpointer) argv[i]);
	g_ptr_array_add (full, NULL);

	status = harness_run_process (h, (const gchar *const *) full->pdata, env, &out, err_out);
	if (exit_status != NULL)
		*exit_status = status;
	return out;
}

gchar *
esimd_test_harness_run_cli (EsimdTestHarness *h,
                            gint *exit_status,
                            gchar **err_out,
                            const gchar *arg,
                            ...)
{
	g_autoptr(GPtrArray) argv = NULL;
	va_list args;

	va_start (args, arg);
	argv = harness_collect_args (arg, args);
	va_end (args);
	return esimd_test_harness_run_cli_argv (h, (const gchar *const *) argv->pdata, exit_status,
	                                        err_out);
}

gint
esimd_test_harness_run_daemon_argv (EsimdTestHarness *h,
                                    const gchar *const *argv,
                                    gchar **out,
                                    gchar **err_out)
{
	g_autoptr(GPtrArray) full = g_ptr_array_new ();
	g_auto(GStrv) env = harness_child_environ (h);

	g_ptr_array_add (full, (gpointer) harness_getenv_required ("ESIMD"));
	for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
		g_ptr_array_add (full, (gpointer) argv[i]);
	g_ptr_array_add (full, NULL);
	return harness_run_process (h, (const gchar *const *) full->pdata, env, out, err_out);
}

gint
esimd_test_harness_run_daemon_sync (EsimdTestHarness *h, gchar **err_out, const gchar *arg, ...)
{
	g_autoptr(GPtrArray) argv = NULL;
	va_list args;

	va_start (args, arg);
	argv = harness_collect_args (arg, args);
	va_end (args);
	return esimd_test_harness_run_daemon_argv (h, (const gchar *const *) argv->pdata, NULL,
	                                           err_out);
}

static void
harness_store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

GVariant *
esimd_test_harness_call (EsimdTestHarness *h, const gchar *path, const gchar *iface,
                         const gchar *method, GVariant *args, const GVariantType *reply_type,
                         guint timeout_ms, GError **error)
{
	GDBusConnection *connection = esimd_test_harness_get_connection (h);
	g_autoptr(GAsyncResult) res = NULL;

	g_dbus_connection_call (connection, ESIMD_TEST_BUS_NAME, path, iface, method, args,
	                        reply_type, G_DBUS_CALL_FLAGS_NONE, (gint) timeout_ms, NULL,
	                        harness_store_result, &res);
	esim_test_wait_until_ms (timeout_ms, res != NULL, "the answer to %s", method);
	return g_dbus_connection_call_finish (connection, res, error);
}

GVariant *
esimd_test_harness_get_property (EsimdTestHarness *h, const gchar *path, const gchar *iface,
                                 const gchar *name)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *value = NULL;

	reply = esimd_test_harness_call (h, path, "org.freedesktop.DBus.Properties", "Get",
	                                 g_variant_new ("(ss)", iface, name), G_VARIANT_TYPE ("(v)"),
	                                 HARNESS_CALL_TIMEOUT_MS, &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(v)", &value);
	return value;
}
