/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC/SC backend through a real pcscd.
 *
 * A private pcscd runs with its own reader.conf directory holding one vpcd
 * reader (two slots, on a pair of free TCP ports); esimd-vpcd-bridge puts a
 * software eUICC from a temporary state file into the first slot, the second
 * stays empty.  The tests then drive EsimChannelPcsc, EsimIsdr, the ES10 calls
 * and esimd_pcsc_discover against that reader, and kill the bridge under
 * them.
 *
 * pcscd 1.9.9 always listens on /run/pcscd/pcscd.comm (only libpcsclite
 * honours PCSCLITE_CSOCK_NAME), so pcscd runs in a mount namespace of its own
 * where a temporary directory is bound on /run (unshare(1); with a user
 * namespace when not root) and this process points PCSCLITE_CSOCK_NAME at
 * that directory.  Where namespaces are not allowed (containers without
 * CAP_SYS_ADMIN) and no other pcscd runs, root falls back to pcscd on the
 * real /run/pcscd.  Both children die with this process (PR_SET_PDEATHSIG),
 * also when an assertion aborts it.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winscard.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "esim-channel-pcsc.h"
#include "esim-channel-virtual.h"
#include "esim-es10.h"
#include "esim-veuicc.h"
#include "esimd-pcsc.h"

#define VPCD_DRIVER          "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define READER_FRIENDLY_NAME "esimd test vpcd"
#define READER_CARD          READER_FRIENDLY_NAME " 00 00" /* the bridge's slot */
#define READER_EMPTY         READER_FRIENDLY_NAME " 00 01"
#define START_TIMEOUT_MS     10000
#define CALL_TIMEOUT_MS      10000
#define STOP_TIMEOUT_MS      3000

typedef struct {
	gchar   *skip_reason;
	gchar   *tmpdir;
	gchar   *conf_dir;
	gchar   *run_dir;       /* bound on /run in pcscd's namespace */
	gchar   *pcscd_log;
	gchar   *bridge_log;
	gchar   *state_file;
	GPid     pcscd_pid;
	GPid     bridge_pid;
	guint16  port;
	gchar   *pcscd;
	gboolean pcscd_private; /* runs in its own mount namespace */
	gchar   *eid;
	gchar   *enabled_iccid;
	gchar   *disabled_iccid;
} World;

static World world;

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

static void
world_cleanup (void)
{
	stop_child (&world.bridge_pid, SIGTERM);
	stop_child (&world.pcscd_pid, SIGTERM);
	/* ESIMD_TEST_KEEP_TMP=1 keeps the logs and the card for a look */
	if (world.tmpdir != NULL && g_getenv ("ESIMD_TEST_KEEP_TMP") == NULL)
		remove_tree (world.tmpdir);
}

static void
abort_handler (int signum)
{
	print_log (world.pcscd_log);
	print_log (world.bridge_log);
	world_cleanup ();
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
		if (child_exited (world.pcscd_pid, &status)) {
			g_autofree gchar *log = NULL;

			world.pcscd_pid = 0;
			g_file_get_contents (world.pcscd_log, &log, NULL, NULL);
			*why = g_strdup_printf ("pcscd exited (status %d): %s", status,
			                        log != NULL ? g_strstrip (log) : "");
			return FALSE;
		}
		if (g_file_test (socket_path, G_FILE_TEST_EXISTS))
			return TRUE;
		g_usleep (20 * 1000);
	}
	stop_child (&world.pcscd_pid, SIGKILL);
	*why = g_strdup ("pcscd did not create its socket in time");
	return FALSE;
}

/* pcscd in a mount namespace with our directory on /run. */
static gboolean
start_pcscd_private (const gchar *pcscd, gchar **why)
{
	g_autofree gchar *unshare = g_find_program_in_path ("unshare");
	g_autofree gchar *socket_path = g_build_filename (world.run_dir, "pcscd", "pcscd.comm", NULL);
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
		"mount --bind \"$0\" /run && exec \"$@\"", world.run_dir,
		pcscd, "--foreground", "--auto-exit", "--info", "--config", world.conf_dir, NULL });
	argv = g_strv_builder_end (builder);
	world.pcscd_pid = spawn_logged ((const gchar *const *) argv, world.pcscd_log, &error);
	if (world.pcscd_pid == 0) {
		*why = g_strdup (error->message);
		return FALSE;
	}
	if (!wait_pcscd_socket (socket_path, why))
		return FALSE;
	g_setenv ("PCSCLITE_CSOCK_NAME", socket_path, TRUE);
	return TRUE;
}

/* pcscd on the real /run/pcscd, when nothing else uses it (root only). */
static gboolean
start_pcscd_system_path (const gchar *pcscd, gchar **why)
{
	const gchar *socket_path = "/run/pcscd/pcscd.comm";
	const gchar *argv[] = { pcscd, "--foreground", "--auto-exit", "--info",
	                        "--config", world.conf_dir, NULL };
	g_autoptr(GError) error = NULL;

	if (getuid () != 0) {
		*why = g_strdup ("not root");
		return FALSE;
	}
	if (unix_socket_answers (socket_path)) {
		*why = g_strdup ("another pcscd runs on /run/pcscd");
		return FALSE;
	}
	world.pcscd_pid = spawn_logged (argv, world.pcscd_log, &error);
	if (world.pcscd_pid == 0) {
		*why = g_strdup (error->message);
		return FALSE;
	}
	if (!wait_pcscd_socket (socket_path, why))
		return FALSE;
	g_setenv ("PCSCLITE_CSOCK_NAME", socket_path, TRUE);
	return TRUE;
}

static gboolean
reader_listed (GStrv readers, const gchar *name)
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

		if (reader_listed (readers, READER_CARD) && reader_listed (readers, READER_EMPTY))
			return;
		if (g_get_monotonic_time () > deadline) {
			g_printerr ("pcscd did not list the vpcd readers “%s” and “%s”\n",
			            READER_CARD, READER_EMPTY);
			g_assert_not_reached ();
		}
		g_usleep (50 * 1000);
	}
}

/* Sets world.skip_reason when pcscd cannot be run here. */
static void
start_pcscd (void)
{
	g_autofree gchar *conf = NULL;
	g_autofree gchar *conf_path = NULL;
	g_autofree gchar *why_private = NULL;
	g_autofree gchar *why_system = NULL;
	g_autoptr(GError) error = NULL;

	world.pcscd = g_find_program_in_path ("pcscd");
	if (world.pcscd == NULL && g_file_test ("/usr/sbin/pcscd", G_FILE_TEST_IS_EXECUTABLE))
		world.pcscd = g_strdup ("/usr/sbin/pcscd");
	if (world.pcscd == NULL) {
		world.skip_reason = g_strdup ("pcscd is not installed (Debian: pcscd)");
		return;
	}
	if (!g_file_test (VPCD_DRIVER, G_FILE_TEST_EXISTS)) {
		world.skip_reason = g_strdup ("vpcd is not installed (Debian: vsmartcard-vpcd)");
		return;
	}
	world.port = pick_port_pair ();
	g_assert_cmpuint (world.port, !=, 0);
	conf = g_strdup_printf ("FRIENDLYNAME \"%s\"\n"
	                        "DEVICENAME   /dev/null:%u\n"
	                        "LIBPATH      %s\n"
	                        "CHANNELID    %u\n",
	                        READER_FRIENDLY_NAME, world.port, VPCD_DRIVER, world.port);
	conf_path = g_build_filename (world.conf_dir, "vpcd", NULL);
	g_assert_true (g_file_set_contents (conf_path, conf, -1, &error));
	g_assert_no_error (error);

	world.pcscd_private = start_pcscd_private (world.pcscd, &why_private);
	if (!world.pcscd_private && !start_pcscd_system_path (world.pcscd, &why_system)) {
		world.skip_reason = g_strdup_printf ("pcscd cannot run here: in a private mount "
		                                     "namespace: %s; on /run/pcscd: %s",
		                                     why_private, why_system);
		return;
	}
	if (!world.pcscd_private)
		g_test_message ("pcscd on the system path: no private namespace (%s)", why_private);
	wait_readers ();
}

/* The same pcscd again, the same way. */
static void
restart_pcscd (void)
{
	g_autofree gchar *why = NULL;
	gboolean ok;

	stop_child (&world.pcscd_pid, SIGTERM);
	if (world.pcscd_private)
		ok = start_pcscd_private (world.pcscd, &why);
	else
		ok = start_pcscd_system_path (world.pcscd, &why);
	if (!ok)
		g_printerr ("pcscd did not start again: %s\n", why);
	g_assert_true (ok);
	wait_readers ();
}

/* ------------------------------------------------------------------------ */
/* the bridge and the card */

/* Whether pcscd sees a card in @reader. */
static gboolean
reader_has_card (const gchar *reader)
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

static void
wait_card (gboolean present)
{
	gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

	while (reader_has_card (READER_CARD) != present) {
		if (g_get_monotonic_time () > deadline) {
			g_printerr ("the card did not %s reader “%s”\n",
			            present ? "appear in" : "leave", READER_CARD);
			g_assert_not_reached ();
		}
		g_usleep (50 * 1000);
	}
}

static void
start_bridge (const gchar *protocols)
{
	const gchar *bridge = g_getenv ("ESIMD_VPCD_BRIDGE");
	g_autofree gchar *port_arg = g_strdup_printf ("--port=%u", world.port);
	g_autofree gchar *protocols_arg = g_strdup_printf ("--protocols=%s", protocols);
	const gchar *argv[] = { bridge, port_arg, protocols_arg, "--debug", world.state_file, NULL };
	g_autoptr(GError) error = NULL;

	g_assert_nonnull (bridge); /* set by tests/pcsc/meson.build */
	g_assert_cmpint (world.bridge_pid, ==, 0);
	world.bridge_pid = spawn_logged (argv, world.bridge_log, &error);
	g_assert_no_error (error);
	wait_card (TRUE);
}

/* Creates the state file and notes what the fresh card holds. */
static void
create_card (void)
{
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GError) error = NULL;

	world.state_file = g_build_filename (world.tmpdir, "veuicc.state", NULL);
	card = esim_veuicc_new_from_file (world.state_file, TRUE, &error);
	g_assert_no_error (error);
	world.eid = g_strdup (esim_veuicc_get_eid (card));
}

/* ------------------------------------------------------------------------ */
/* async helpers */

typedef struct {
	GAsyncResult *res;
	gboolean      timed_out;
} Wait;

static void
wait_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Wait *wait = user_data;

	g_assert_null (wait->res);
	wait->res = g_object_ref (res);
}

static gboolean
wait_timeout_cb (gpointer user_data)
{
	Wait *wait = user_data;

	wait->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* Runs the main loop until @wait has its result; a call that hangs fails the test. */
static GAsyncResult *
wait_result (Wait *wait)
{
	guint timeout_id = g_timeout_add (CALL_TIMEOUT_MS, wait_timeout_cb, wait);

	while (wait->res == NULL && !wait->timed_out)
		g_main_context_iteration (NULL, TRUE);
	if (wait->res == NULL) {
		g_printerr ("a PC/SC operation did not complete within %d ms\n", CALL_TIMEOUT_MS);
		g_assert_not_reached ();
	}
	g_source_remove (timeout_id);
	return wait->res;
}

static void
wait_clear (Wait *wait)
{
	g_clear_object (&wait->res);
	wait->timed_out = FALSE;
}

static gboolean
isdr_open (EsimIsdr *isdr, GError **error)
{
	Wait wait = { 0 };
	gboolean ok;

	esim_isdr_open_async (isdr, NULL, wait_done, &wait);
	ok = esim_isdr_open_finish (isdr, wait_result (&wait), error);
	wait_clear (&wait);
	return ok;
}

static void
isdr_close (EsimIsdr *isdr)
{
	g_autoptr(GError) error = NULL;
	Wait wait = { 0 };

	esim_isdr_close_async (isdr, NULL, wait_done, &wait);
	g_assert_true (esim_isdr_close_finish (isdr, wait_result (&wait), &error));
	g_assert_no_error (error);
	wait_clear (&wait);
}

static gchar *
get_eid (EsimIsdr *isdr, GError **error)
{
	Wait wait = { 0 };
	gchar *eid;

	esim_es10_get_eid (isdr, NULL, wait_done, &wait);
	eid = esim_es10_get_eid_finish (isdr, wait_result (&wait), error);
	wait_clear (&wait);
	return eid;
}

static GPtrArray *
get_profiles (EsimIsdr *isdr, GError **error)
{
	Wait wait = { 0 };
	GPtrArray *profiles;

	esim_es10_get_profiles_info (isdr, NULL, NULL, wait_done, &wait);
	profiles = esim_es10_get_profiles_info_finish (isdr, wait_result (&wait), error);
	wait_clear (&wait);
	return profiles;
}

static EsimProfileState
profile_state (GPtrArray *profiles, const gchar *iccid)
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

static GPtrArray *
discover (const gchar *const *names, GError **error)
{
	Wait wait = { 0 };
	GPtrArray *channels;

	esimd_pcsc_discover_async (names, NULL, wait_done, &wait);
	channels = esimd_pcsc_discover_finish (wait_result (&wait), error);
	wait_clear (&wait);
	return channels;
}

/* An ISD-R session on READER_CARD through a new channel. */
static EsimIsdr *
open_card_isdr (EsimChannelPcsc **channel_out)
{
	g_autoptr(EsimChannelPcsc) channel = esim_channel_pcsc_new (READER_CARD);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;

	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);
	if (channel_out != NULL)
		*channel_out = g_steal_pointer (&channel);
	return g_steal_pointer (&isdr);
}

#define SKIP_IF_NEEDED()                                  \
	G_STMT_START {                                    \
		if (world.skip_reason != NULL) {          \
			g_test_skip (world.skip_reason);  \
			return;                           \
		}                                         \
	} G_STMT_END

/* ------------------------------------------------------------------------ */
/* tests */

static void
test_pcsc_list_readers (void)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) readers = NULL;

	SKIP_IF_NEEDED ();
	readers = esim_pcsc_list_readers (&error);
	g_assert_no_error (error);
	g_assert_true (reader_listed (readers, READER_CARD));
	g_assert_true (reader_listed (readers, READER_EMPTY));
}

/* GetEID, GetProfilesInfo and EnableProfile, and the state file they leave. */
static void
test_pcsc_es10 (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GPtrArray) after = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *state_before = NULL;
	g_autofree gchar *state_after = NULL;
	Wait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	g_assert_cmpstr (esim_channel_get_transport (ESIM_CHANNEL (channel)), ==, "pcsc");
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (channel), ==, READER_CARD);
	/* the bridge runs with a T=0 ATR here, as IoT eUICCs mostly are */
	g_assert_cmpstr (esim_channel_pcsc_get_protocol (channel), ==, "T=0");
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 1);

	eid = get_eid (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, world.eid);

	profiles = get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 2);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);

		if (info->state == ESIM_PROFILE_STATE_ENABLED)
			world.enabled_iccid = g_strdup (info->iccid);
		else
			world.disabled_iccid = g_strdup (info->iccid);
	}
	g_assert_nonnull (world.enabled_iccid);
	g_assert_nonnull (world.disabled_iccid);

	g_assert_true (g_file_get_contents (world.state_file, &state_before, NULL, NULL));
	esim_es10_enable_profile (isdr, world.disabled_iccid, TRUE, NULL, wait_done, &wait);
	g_assert_true (esim_es10_enable_profile_finish (isdr, wait_result (&wait), &error));
	g_assert_no_error (error);
	wait_clear (&wait);

	after = get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpint (profile_state (after, world.disabled_iccid), ==, ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (profile_state (after, world.enabled_iccid), ==, ESIM_PROFILE_STATE_DISABLED);
	g_assert_cmpuint (esim_isdr_get_apdu_count (isdr), >=, 4);
	isdr_close (isdr);

	/* the bridge saved the switch: the file changed and a card loaded
	 * from it has the other profile enabled */
	g_assert_true (g_file_get_contents (world.state_file, &state_after, NULL, NULL));
	g_assert_cmpstr (state_before, !=, state_after);
	{
		g_autoptr(EsimVeuicc) copy = esim_veuicc_new_from_file (world.state_file, FALSE, &error);
		g_autoptr(EsimChannelVirtual) virtual_channel = NULL;
		g_autoptr(EsimIsdr) virtual_isdr = NULL;
		g_autoptr(GPtrArray) saved = NULL;

		g_assert_no_error (error);
		virtual_channel = esim_channel_virtual_new (copy);
		virtual_isdr = esim_isdr_new (ESIM_CHANNEL (virtual_channel));
		g_assert_true (isdr_open (virtual_isdr, &error));
		g_assert_no_error (error);
		saved = get_profiles (virtual_isdr, &error);
		g_assert_no_error (error);
		g_assert_cmpint (profile_state (saved, world.disabled_iccid), ==,
		                 ESIM_PROFILE_STATE_ENABLED);
		isdr_close (virtual_isdr);
	}

	/* and back, so the card is as it was */
	esim_isdr_open_async (isdr, NULL, wait_done, &wait);
	g_assert_true (esim_isdr_open_finish (isdr, wait_result (&wait), &error));
	g_assert_no_error (error);
	wait_clear (&wait);
	esim_es10_enable_profile (isdr, world.enabled_iccid, TRUE, NULL, wait_done, &wait);
	g_assert_true (esim_es10_enable_profile_finish (isdr, wait_result (&wait), &error));
	g_assert_no_error (error);
	wait_clear (&wait);
	isdr_close (isdr);
}

/* SCardReconnect(SCARD_RESET_CARD) reaches the card: its channels are gone. */
static void
test_pcsc_reset_card (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(EsimIsdr) isdr2 = NULL;
	g_autoptr(EsimIsdr) isdr3 = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	Wait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	/* a second session holds channel 2, so that after the reset a fresh
	 * open getting channel 1 again proves the card forgot both */
	isdr2 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (isdr_open (isdr2, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr2), ==, 2);

	esim_channel_reset_card_async (ESIM_CHANNEL (channel), NULL, wait_done, &wait);
	g_assert_true (esim_channel_reset_card_finish (ESIM_CHANNEL (channel), wait_result (&wait),
	                                               &error));
	g_assert_no_error (error);
	wait_clear (&wait);

	/* the old session's channel is closed on the card */
	eid = get_eid (isdr, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
	g_clear_error (&error);
	/* the stale sessions must be closed before a new one gets their
	 * channel numbers: dropped later, they would close its channel */
	esim_isdr_close_async (isdr, NULL, wait_done, &wait);
	esim_isdr_close_finish (isdr, wait_result (&wait), NULL);
	wait_clear (&wait);
	esim_isdr_close_async (isdr2, NULL, wait_done, &wait);
	esim_isdr_close_finish (isdr2, wait_result (&wait), NULL);
	wait_clear (&wait);
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_false (esim_isdr_is_open (isdr2));

	isdr3 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (isdr_open (isdr3, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr3), ==, 1);
	eid = get_eid (isdr3, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, world.eid);
	isdr_close (isdr3);
}

static void
test_pcsc_unknown_reader (void)
{
	g_autoptr(EsimChannelPcsc) channel = esim_channel_pcsc_new ("no such reader 00 00");
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	g_assert_false (isdr_open (isdr, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "“no such reader 00 00” not found"));
	g_assert_null (esim_channel_pcsc_get_protocol (channel));
}

static void
test_pcsc_empty_reader (void)
{
	g_autoptr(EsimChannelPcsc) channel = esim_channel_pcsc_new (READER_EMPTY);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	g_assert_false (isdr_open (isdr, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "no card in PC/SC reader"));
}

static void
test_pcsc_discover_named (void)
{
	const gchar *const both[] = { READER_EMPTY, READER_CARD, READER_CARD, NULL };
	const gchar *const unknown[] = { READER_CARD, "no such reader", NULL };
	const gchar *const ambiguous[] = { READER_FRIENDLY_NAME, NULL };
	g_autoptr(GPtrArray) channels = NULL;
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	/* in the order named, once each, the empty reader included */
	channels = discover (both, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (channels->len, ==, 2);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 0)), ==,
	                 READER_EMPTY);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 1)), ==,
	                 READER_CARD);
	g_clear_pointer (&channels, g_ptr_array_unref);

	channels = discover (unknown, &error);
	g_assert_null (channels);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_assert_nonnull (strstr (error->message, "“no such reader” not found"));
	g_assert_nonnull (strstr (error->message, READER_CARD));
	g_clear_error (&error);

	channels = discover (ambiguous, &error);
	g_assert_null (channels);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull (strstr (error->message, "matches several readers"));
}

/* Without names: the reader with the eUICC, not the empty one; the probe
 * leaves no channel open. */
static void
test_pcsc_discover_auto (void)
{
	g_autoptr(GPtrArray) channels = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	channels = discover (NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (channels->len, ==, 1);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 0)), ==,
	                 READER_CARD);

	isdr = esim_isdr_new (ESIM_CHANNEL (g_ptr_array_index (channels, 0)));
	g_assert_true (isdr_open (isdr, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 1);
	isdr_close (isdr);
}

/* A card offering T=0 and T=1 is spoken to in T=1 (pcsc-lite prefers it);
 * the bridge stops cleanly on SIGTERM. */
static void
test_pcsc_t1 (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	gint status;

	SKIP_IF_NEEDED ();
	status = stop_child (&world.bridge_pid, SIGTERM);
	g_assert_true (WIFEXITED (status));
	g_assert_cmpint (WEXITSTATUS (status), ==, 0);
	wait_card (FALSE);

	start_bridge ("t0,t1");
	isdr = open_card_isdr (&channel);
	g_assert_cmpstr (esim_channel_pcsc_get_protocol (channel), ==, "T=1");
	eid = get_eid (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, world.eid);
	isdr_close (isdr);
}

/* The bridge dies while pcscd waits for its answer: a transport error, no
 * hang; the same channel works again once the card is back. */
static void
test_pcsc_bridge_killed (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(EsimIsdr) isdr2 = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	Wait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	eid = get_eid (isdr, &error);
	g_assert_no_error (error);
	g_clear_pointer (&eid, g_free);

	/* frozen, the bridge takes the command and never answers it... */
	kill (world.bridge_pid, SIGSTOP);
	esim_es10_get_profiles_info (isdr, NULL, NULL, wait_done, &wait);
	for (guint i = 0; i < 10; i++) {
		g_main_context_iteration (NULL, FALSE);
		g_usleep (30 * 1000);
	}
	g_assert_null (wait.res);
	/* ...until it is killed */
	stop_child (&world.bridge_pid, SIGKILL);
	profiles = esim_es10_get_profiles_info_finish (isdr, wait_result (&wait), &error);
	wait_clear (&wait);
	g_assert_null (profiles);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_test_message ("mid-command: %s", error->message);
	g_clear_error (&error);

	/* with the card gone, the next call fails at once */
	wait_card (FALSE);
	eid = get_eid (isdr, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_test_message ("after: %s", error->message);
	g_clear_error (&error);

	/* card back (T=1 only this time): the channel reconnects for a new session */
	start_bridge ("t1");
	isdr2 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (isdr_open (isdr2, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (esim_channel_pcsc_get_protocol (channel), ==, "T=1");
	eid = get_eid (isdr2, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, world.eid);
	isdr_close (isdr2);
}

/* pcscd goes away under an open session: a transport error naming it; the
 * bridge reconnects to the new pcscd and the same channel works again. */
static void
test_pcsc_pcscd_restart (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(EsimIsdr) isdr2 = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	stop_child (&world.pcscd_pid, SIGTERM);

	eid = get_eid (isdr, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "pcscd"));
	g_clear_error (&error);

	restart_pcscd ();
	wait_card (TRUE);
	isdr2 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (isdr_open (isdr2, &error));
	g_assert_no_error (error);
	eid = get_eid (isdr2, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, world.eid);
	isdr_close (isdr2);
}

int
main (int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	struct sigaction sa = { 0 };
	gint ret;

	g_test_init (&argc, &argv, NULL);

	world.tmpdir = g_dir_make_tmp ("esimd-test-pcsc-XXXXXX", &error);
	g_assert_no_error (error);
	world.conf_dir = g_build_filename (world.tmpdir, "reader.conf.d", NULL);
	world.run_dir = g_build_filename (world.tmpdir, "run", NULL);
	world.pcscd_log = g_build_filename (world.tmpdir, "pcscd.log", NULL);
	world.bridge_log = g_build_filename (world.tmpdir, "bridge.log", NULL);
	g_assert_cmpint (g_mkdir (world.conf_dir, 0700), ==, 0);
	/* pcscd (root in its namespace) creates /run/pcscd in here */
	g_assert_cmpint (g_mkdir (world.run_dir, 0755), ==, 0);

	sa.sa_handler = abort_handler;
	sigemptyset (&sa.sa_mask);
	sigaction (SIGABRT, &sa, NULL);

	start_pcscd ();
	if (world.skip_reason == NULL) {
		create_card ();
		start_bridge ("t0");
	}

	g_test_add_func ("/esim/pcsc/list-readers", test_pcsc_list_readers);
	g_test_add_func ("/esim/pcsc/es10", test_pcsc_es10);
	g_test_add_func ("/esim/pcsc/reset-card", test_pcsc_reset_card);
	g_test_add_func ("/esim/pcsc/unknown-reader", test_pcsc_unknown_reader);
	g_test_add_func ("/esim/pcsc/empty-reader", test_pcsc_empty_reader);
	g_test_add_func ("/esim/pcsc/discover-named", test_pcsc_discover_named);
	g_test_add_func ("/esim/pcsc/discover-auto", test_pcsc_discover_auto);
	g_test_add_func ("/esim/pcsc/t1", test_pcsc_t1);
	g_test_add_func ("/esim/pcsc/bridge-killed", test_pcsc_bridge_killed);
	g_test_add_func ("/esim/pcsc/pcscd-restart", test_pcsc_pcscd_restart);
	ret = g_test_run ();

	if (ret != 0) {
		print_log (world.pcscd_log);
		print_log (world.bridge_log);
	}
	world_cleanup ();
	return ret;
}
