/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See pcsc-fixture.h.  Test code: assertions are allowed here. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winscard.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "esim-channel-pcsc.h"
#include "esim-channel-virtual.h"
#include "esim-veuicc.h"
#include "pcsc-fixture.h"

#define VPCD_DRIVER          "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define SYSTEM_SOCKET        "/run/pcscd/pcscd.comm"
#define START_TIMEOUT_MS     10000
#define CALL_TIMEOUT_MS      10000
#define STOP_TIMEOUT_MS      3000
/* another test program holding the real /run/pcscd runs for some seconds */
#define SYSTEM_LOCK_TIMEOUT_MS 40000

typedef struct {
	gchar   *tmpdir;
	gchar   *conf_dir;
	gchar   *run_dir;        /* bound on /run in pcscd's namespace */
	gchar   *pcscd_log;
	gchar   *bridge_log;
	gchar   *state_file;
	gchar   *eid;
	gchar   *pcscd;
	GPid     pcscd_pid;
	GPid     bridge_pid;
	guint16  port;
	gboolean pcscd_private;  /* runs in its own mount namespace */
	gint     system_lock_fd; /* held while pcscd runs on the real /run/pcscd */
} Fixture;

static Fixture fixture = { .system_lock_fd = -1 };

/* ------------------------------------------------------------------------ */
/* child processes */

static void
child_setup_die_with_parent (gpointer user_data)
{
	prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GPid
spawn_logged (const gchar *const *argv, const gchar *log_path, GError **error)
{
	GPid pid = 0;
	gint log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	gboolean ok;

	if (log_fd < 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", log_path,
		             g_strerror (errno));
		return 0;
	}
	ok = g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
	                                       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
	                                       child_setup_die_with_parent, NULL, -1, log_fd, log_fd,
	                                       NULL, NULL, 0, &pid, NULL, NULL, NULL, error);
	close (log_fd);
	return ok ? pid : 0;
}

/* TRUE and the wait status once @pid has exited (it is reaped then). */
static gboolean
child_exited (GPid pid, gint *status)
{
	return waitpid (pid, status, WNOHANG) == pid;
}

/* Stops @pid with @signum (SIGKILL after STOP_TIMEOUT_MS); returns the wait status. */
static gint
stop_child (GPid *pid, gint signum)
{
	gint status = -1;
	gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

	if (*pid == 0)
		return -1;
	kill (*pid, signum);
	/* a frozen child would never see SIGTERM */
	kill (*pid, SIGCONT);
	while (!child_exited (*pid, &status)) {
		if (g_get_monotonic_time () > deadline) {
			kill (*pid, SIGKILL);
			waitpid (*pid, &status, 0);
			break;
		}
		g_usleep (20 * 1000);
	}
	*pid = 0;
	return status;
}

static void
print_log (const gchar *path)
{
	g_autofree gchar *contents = NULL;

	if (path != NULL && g_file_get_contents (path, &contents, NULL, NULL))
		g_printerr ("---- %s ----\n%s\n", path, contents);
}

static void
remove_tree (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name (dir)) != NULL) {
			g_autofree gchar *child = g_build_filename (path, name, NULL);

			if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
				remove_tree (child);
			else
				g_unlink (child);
		}
	}
	g_rmdir (path);
}

void
pcsc_fixture_teardown (gboolean print_logs)
{
	if (print_logs) {
		print_log (fixture.pcscd_log);
		print_log (fixture.bridge_log);
	}
	stop_child (&fixture.bridge_pid, SIGTERM);
	stop_child (&fixture.pcscd_pid, SIGTERM);
	if (fixture.system_lock_fd >= 0) {
		close (fixture.system_lock_fd);
		fixture.system_lock_fd = -1;
	}
	if (fixture.tmpdir != NULL && g_getenv ("ESIMD_TEST_KEEP_TMP") == NULL)
		remove_tree (fixture.tmpdir);
	g_clear_pointer (&fixture.tmpdir, g_free);
}

/* An assertion failed: show what pcscd and the bridge said, leave nothing behind. */
static void
abort_handler (int signum)
{
	pcsc_fixture_teardown (TRUE);
	signal (signum, SIG_DFL);
	raise (signum);
}

/* ------------------------------------------------------------------------ */
/* pcscd */

static gboolean
tcp_port_is_free (guint port)
{
	g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
	                                        G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, (guint16) port);

	return sock != NULL && g_socket_bind (sock, address, TRUE, NULL);
}

/* vpcd listens on PORT and PORT+1 (its two slots), on every interface. */
static guint16
pick_port_pair (void)
{
	for (guint attempt = 0; attempt < 50; attempt++) {
		g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
		                                        G_SOCKET_PROTOCOL_TCP, NULL);
		g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
		g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
		g_autoptr(GSocketAddress) bound = NULL;
		guint port;

		if (sock == NULL || !g_socket_bind (sock, address, TRUE, NULL))
			continue;
		bound = g_socket_get_local_address (sock, NULL);
		if (bound == NULL)
			continue;
		port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
		g_clear_object (&sock);
		if (port < G_MAXUINT16 && tcp_port_is_free (port) && tcp_port_is_free (port + 1))
			return (guint16) port;
	}
	return 0;
}

static gboolean
unix_socket_answers (const gchar *path)
{
	g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
	                                        G_SOCKET_PROTOCOL_DEFAULT, NULL);
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);

	return sock != NULL && g_socket_connect (sock, address, NULL, NULL);
}

/* Waits for pcscd's socket; FALSE (and why) when pcscd exits first. */
static gboolean
wait_pcscd_socket (const gchar *socket_path, gchar **why)
{
	gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	gint status = 0;

	while (g_get_monotonic_time () < deadline) {
		if (child_exited (fixture.pcscd_pid, &status)) {
			g_autofree gchar *log = NULL;

			fixture.pcscd_pid = 0;
			g_file_get_contents (fixture.pcscd_log, &log, NULL, NULL);
			*why = g_strdup_printf ("pcscd exited (status %d): %s", status,
			                        log != NULL ? g_strstrip (log) : "");
			return FALSE;
		}
		if (g_file_test (socket_path, G_FILE_TEST_EXISTS))
			return TRUE;
		g_usleep (20 * 1000);
	}
	stop_child (&fixture.pcscd_pid, SIGKILL);
	*why = g_strdup ("pcscd did not create its socket in time");
	return FALSE;
}

/* pcscd in a mount namespace with our directory on /run. */
static gboolean
start_pcscd_private (gchar **why)
{
	g_autofree gchar *unshare = g_find_program_in_path ("unshare");
	g_autofree gchar *socket_path = g_build_filename (fixture.run_dir, "pcscd", "pcscd.comm",
	                                                  NULL);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) error = NULL;

	if (unshare == NULL) {
		*why = g_strdup ("unshare(1) not found");
		return FALSE;
	}
	g_strv_builder_add (builder, unshare);
	if (getuid () != 0)
		g_strv_builder_addv (builder, (const gchar *[]) { "--user", "--map-root-user", NULL });
	g_strv_builder_addv (builder, (const gchar *[]) {
		"--mount", "--propagation", "private", "--", "/bin/sh", "-c",
		"mount --bind \"$0\" /run && exec \"$@\"", fixture.run_dir,
		fixture.pcscd, "--foreground", "--auto-exit", "--info", "--config", fixture.conf_dir,
		NULL });
	argv = g_strv_builder_end (builder);
	fixture.pcscd_pid = spawn_logged ((const gchar *const *) argv, fixture.pcscd_log, &error);
	if (fixture.pcscd_pid == 0) {
		*why = g_strdup (error->message);
		return FALSE;
	}
	if (!wait_pcscd_socket (socket_path, why))
		return FALSE;
	g_setenv ("PCSCLITE_CSOCK_NAME", socket_path, TRUE);
	return TRUE;
}

/* The PC/SC test programs run in parallel: only one may own the real
 * /run/pcscd at a time.  The lock is held until teardown (or exit). */
static gboolean
take_system_lock (gchar **why)
{
	g_autofree gchar *path = NULL;
	gint64 deadline;

	if (fixture.system_lock_fd >= 0)
		return TRUE;
	path = g_build_filename (g_get_tmp_dir (), "esimd-test-pcscd.lock", NULL);
	fixture.system_lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fixture.system_lock_fd < 0) {
		*why = g_strdup_printf ("%s: %s", path, g_strerror (errno));
		return FALSE;
	}
	deadline = g_get_monotonic_time () + SYSTEM_LOCK_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	while (flock (fixture.system_lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (g_get_monotonic_time () > deadline) {
			*why = g_strdup_printf ("another test held %s too long", path);
			close (fixture.system_lock_fd);
			fixture.system_lock_fd = -1;
			return FALSE;
		}
		g_usleep (100 * 1000);
	}
	return TRUE;
}

/* pcscd on the real /run/pcscd, when nothing else uses it (root only). */
static gboolean
start_pcscd_system_path (gchar **why)
{
	const gchar *argv[] = { fixture.pcscd, "--foreground", "--auto-exit", "--info",
	                        "--config", fixture.conf_dir, NULL };
	g_autoptr(GError) error = NULL;

	if (getuid () != 0) {
		*why = g_strdup ("not root");
		return FALSE;
	}
	if (!take_system_lock (why))
		return FALSE;
	if (unix_socket_answers (SYSTEM_SOCKET)) {
		*why = g_strdup ("another pcscd runs on /run/pcscd");
		return FALSE;
	}
	fixture.pcscd_pid = spawn_logged (argv, fixture.pcscd_log, &error);
	if (fixture.pcscd_pid == 0) {
		*why = g_strdup (error->message);
		return FALSE;
	}
	if (!wait_pcscd_socket (SYSTEM_SOCKET, why))
		return FALSE;
	g_setenv ("PCSCLITE_CSOCK_NAME", SYSTEM_SOCKET, TRUE);
	return TRUE;
}

gboolean
pcsc_fixture_reader_listed (GStrv readers, const gchar *name)
{
	return readers != NULL && g_strv_contains ((const gchar *const *) readers, name);
}

/* pcscd answers before the vpcd slots are up. */
static void
wait_readers (void)
{
	gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

	while (TRUE) {
		g_auto(GStrv) readers = esim_pcsc_list_readers (NULL);

		if (pcsc_fixture_reader_listed (readers, PCSC_FIXTURE_READER_CARD) &&
		    pcsc_fixture_reader_listed (readers, PCSC_FIXTURE_READER_EMPTY))
			return;
		if (g_get_monotonic_time () > deadline) {
			g_printerr ("pcscd did not list the vpcd readers “%s” and “%s”\n",
			            PCSC_FIXTURE_READER_CARD, PCSC_FIXTURE_READER_EMPTY);
			g_assert_not_reached ();
		}
		g_usleep (50 * 1000);
	}
}

/* FALSE and why when pcscd cannot be run here. */
static gboolean
start_pcscd (gchar **skip_reason)
{
	g_autofree gchar *conf = NULL;
	g_autofree gchar *conf_path = NULL;
	g_autofree gchar *why_private = NULL;
	g_autofree gchar *why_system = NULL;
	g_autoptr(GError) error = NULL;

	fixture.pcscd = g_find_program_in_path ("pcscd");
	if (fixture.pcscd == NULL && g_file_test ("/usr/sbin/pcscd", G_FILE_TEST_IS_EXECUTABLE))
		fixture.pcscd = g_strdup ("/usr/sbin/pcscd");
	if (fixture.pcscd == NULL) {
		*skip_reason = g_strdup ("pcscd is not installed (Debian: pcscd)");
		return FALSE;
	}
	if (!g_file_test (VPCD_DRIVER, G_FILE_TEST_EXISTS)) {
		*skip_reason = g_strdup ("vpcd is not installed (Debian: vsmartcard-vpcd)");
		return FALSE;
	}
	fixture.port = pick_port_pair ();
	g_assert_cmpuint (fixture.port, !=, 0);
	conf = g_strdup_printf ("FRIENDLYNAME \"%s\"\n"
	                        "DEVICENAME   /dev/null:%u\n"
	                        "LIBPATH      %s\n"
	                        "CHANNELID    %u\n",
	                        PCSC_FIXTURE_READER_NAME, fixture.port, VPCD_DRIVER, fixture.port);
	conf_path = g_build_filename (fixture.conf_dir, "vpcd", NULL);
	g_assert_true (g_file_set_contents (conf_path, conf, -1, &error));
	g_assert_no_error (error);

	fixture.pcscd_private = start_pcscd_private (&why_private);
	if (!fixture.pcscd_private && !start_pcscd_system_path (&why_system)) {
		*skip_reason = g_strdup_printf ("pcscd cannot run here: in a private mount "
		                                "namespace: %s; on /run/pcscd: %s",
		                                why_private, why_system);
		return FALSE;
	}
	if (!fixture.pcscd_private)
		g_test_message ("pcscd on the system path: no private namespace (%s)", why_private);
	wait_readers ();
	return TRUE;
}

void
pcsc_fixture_stop_pcscd (void)
{
	stop_child (&fixture.pcscd_pid, SIGTERM);
}

void
pcsc_fixture_restart_pcscd (void)
{
	g_autofree gchar *why = NULL;
	gboolean ok;

	stop_child (&fixture.pcscd_pid, SIGTERM);
	if (fixture.pcscd_private)
		ok = start_pcscd_private (&why);
	else
		ok = start_pcscd_system_path (&why);
	if (!ok)
		g_printerr ("pcscd did not start again: %s\n", why);
	g_assert_true (ok);
	wait_readers ();
}

/* ------------------------------------------------------------------------ */
/* the bridge and the card */

gboolean
pcsc_fixture_reader_has_card (const gchar *reader)
{
	SCARDCONTEXT context;
	SCARD_READERSTATE state = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	gboolean present = FALSE;

	if (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context) != SCARD_S_SUCCESS)
		return FALSE;
	if (SCardGetStatusChange (context, 0, &state, 1) == SCARD_S_SUCCESS)
		present = (state.dwEventState & SCARD_STATE_PRESENT) != 0 &&
		          (state.dwEventState & SCARD_STATE_MUTE) == 0;
	SCardReleaseContext (context);
	return present;
}

void
pcsc_fixture_wait_card (gboolean present)
{
	gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

	while (pcsc_fixture_reader_has_card (PCSC_FIXTURE_READER_CARD) != present) {
		if (g_get_monotonic_time () > deadline) {
			g_printerr ("the card did not %s reader “%s”\n",
			            present ? "appear in" : "leave", PCSC_FIXTURE_READER_CARD);
			g_assert_not_reached ();
		}
		g_usleep (50 * 1000);
	}
}

void
pcsc_fixture_start_bridge (const gchar *protocols)
{
	pcsc_fixture_start_bridge_with (protocols, NULL);
}

gchar *
pcsc_fixture_read_bridge_log (void)
{
	gchar *contents = NULL;

	g_assert_true (g_file_get_contents (fixture.bridge_log, &contents, NULL, NULL));
	return contents;
}

void
pcsc_fixture_start_bridge_with (const gchar *protocols, const gchar *option)
{
	const gchar *bridge = g_getenv ("ESIMD_VPCD_BRIDGE");
	g_autofree gchar *port_arg = g_strdup_printf ("--port=%u", fixture.port);
	g_autofree gchar *protocols_arg = g_strdup_printf ("--protocols=%s", protocols);
	const gchar *argv[] = { bridge, port_arg, protocols_arg, "--debug",
	                        option != NULL ? option : fixture.state_file,
	                        option != NULL ? fixture.state_file : NULL, NULL };
	g_autoptr(GError) error = NULL;

	g_assert_nonnull (bridge); /* set by tests/pcsc/meson.build */
	g_assert_cmpint (fixture.bridge_pid, ==, 0);
	/* pcscd polls vpcd: a bridge stopped and started within one poll would
	 * never have been seen leaving, and the new one would not be powered up */
	pcsc_fixture_wait_card (FALSE);
	fixture.bridge_pid = spawn_logged (argv, fixture.bridge_log, &error);
	g_assert_no_error (error);
	pcsc_fixture_wait_card (TRUE);
}

gint
pcsc_fixture_stop_bridge (gint signum)
{
	return stop_child (&fixture.bridge_pid, signum);
}

void
pcsc_fixture_freeze_bridge (void)
{
	g_assert_cmpint (fixture.bridge_pid, !=, 0);
	g_assert_cmpint (kill (fixture.bridge_pid, SIGSTOP), ==, 0);
}

/* Creates the state file and notes the fresh card's EID. */
static void
create_card (void)
{
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GError) error = NULL;

	fixture.state_file = g_build_filename (fixture.tmpdir, "veuicc.state", NULL);
	card = esim_veuicc_new_from_file (fixture.state_file, TRUE, &error);
	g_assert_no_error (error);
	fixture.eid = g_strdup (esim_veuicc_get_eid (card));
}

gboolean
pcsc_fixture_setup (const gchar *protocols, gchar **skip_reason)
{
	g_autoptr(GError) error = NULL;
	struct sigaction sa = { 0 };

	g_return_val_if_fail (fixture.tmpdir == NULL, FALSE);

	fixture.tmpdir = g_dir_make_tmp ("esimd-test-pcsc-XXXXXX", &error);
	g_assert_no_error (error);
	fixture.conf_dir = g_build_filename (fixture.tmpdir, "reader.conf.d", NULL);
	fixture.run_dir = g_build_filename (fixture.tmpdir, "run", NULL);
	fixture.pcscd_log = g_build_filename (fixture.tmpdir, "pcscd.log", NULL);
	fixture.bridge_log = g_build_filename (fixture.tmpdir, "bridge.log", NULL);
	g_assert_cmpint (g_mkdir (fixture.conf_dir, 0700), ==, 0);
	/* pcscd (root in its namespace) creates /run/pcscd in here */
	g_assert_cmpint (g_mkdir (fixture.run_dir, 0755), ==, 0);

	sa.sa_handler = abort_handler;
	sigemptyset (&sa.sa_mask);
	sigaction (SIGABRT, &sa, NULL);

	if (!start_pcscd (skip_reason))
		return FALSE;
	create_card ();
	pcsc_fixture_start_bridge (protocols);
	return TRUE;
}

const gchar *
pcsc_fixture_get_tmpdir (void)
{
	return fixture.tmpdir;
}

const gchar *
pcsc_fixture_get_state_file (void)
{
	return fixture.state_file;
}

const gchar *
pcsc_fixture_get_eid (void)
{
	return fixture.eid;
}

/* ------------------------------------------------------------------------ */
/* async helpers */

void
pcsc_fixture_wait_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	PcscFixtureWait *wait = user_data;

	g_assert_null (wait->res);
	wait->res = g_object_ref (res);
}

GAsyncResult *
pcsc_fixture_wait_result_in (PcscFixtureWait *wait, const gchar *caller)
{
	esim_test_wait_until_ms (CALL_TIMEOUT_MS, wait->res != NULL,
	                         "the operation started in %s to complete", caller);
	return wait->res;
}

void
pcsc_fixture_wait_clear (PcscFixtureWait *wait)
{
	g_clear_object (&wait->res);
}

gboolean
pcsc_fixture_isdr_open (EsimIsdr *isdr, GError **error)
{
	PcscFixtureWait wait = { 0 };
	gboolean ok;

	esim_isdr_open_async (isdr, NULL, pcsc_fixture_wait_done, &wait);
	ok = esim_isdr_open_finish (isdr, pcsc_fixture_wait_result (&wait), error);
	pcsc_fixture_wait_clear (&wait);
	return ok;
}

void
pcsc_fixture_isdr_close (EsimIsdr *isdr)
{
	g_autoptr(GError) error = NULL;
	PcscFixtureWait wait = { 0 };

	esim_isdr_close_async (isdr, NULL, pcsc_fixture_wait_done, &wait);
	g_assert_true (esim_isdr_close_finish (isdr, pcsc_fixture_wait_result (&wait), &error));
	g_assert_no_error (error);
	pcsc_fixture_wait_clear (&wait);
}

gchar *
pcsc_fixture_get_eid_on (EsimIsdr *isdr, GError **error)
{
	PcscFixtureWait wait = { 0 };
	gchar *eid;

	esim_es10_get_eid (isdr, NULL, pcsc_fixture_wait_done, &wait);
	eid = esim_es10_get_eid_finish (isdr, pcsc_fixture_wait_result (&wait), error);
	pcsc_fixture_wait_clear (&wait);
	return eid;
}

GPtrArray *
pcsc_fixture_get_profiles (EsimIsdr *isdr, GError **error)
{
	PcscFixtureWait wait = { 0 };
	GPtrArray *profiles;

	esim_es10_get_profiles_info (isdr, NULL, NULL, pcsc_fixture_wait_done, &wait);
	profiles = esim_es10_get_profiles_info_finish (isdr, pcsc_fixture_wait_result (&wait),
	                                               error);
	pcsc_fixture_wait_clear (&wait);
	return profiles;
}

EsimProfileState
pcsc_fixture_profile_state (GPtrArray *profiles, const gchar *iccid)
{
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);

		if (g_strcmp0 (info->iccid, iccid) == 0)
			return info->state;
	}
	g_printerr ("profile %s not on the card\n", iccid);
	g_assert_not_reached ();
	return ESIM_PROFILE_STATE_DISABLED;
}

GPtrArray *
pcsc_fixture_saved_profiles (void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimVeuicc) copy = esim_veuicc_new_from_file (fixture.state_file, FALSE, &error);
	g_autoptr(EsimChannelVirtual) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GPtrArray) profiles = NULL;

	g_assert_no_error (error);
	channel = esim_channel_virtual_new (copy);
	isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_no_error (error);
	profiles = pcsc_fixture_get_profiles (isdr, &error);
	g_assert_no_error (error);
	pcsc_fixture_isdr_close (isdr);
	return g_steal_pointer (&profiles);
}
