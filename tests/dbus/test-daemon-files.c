/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files the real esimd is given: a --virtual-euicc that is a FIFO or a
 * device is refused at once (esimd starts with the other cards), a symbolic
 * link is written through, two paths to one file make one eUICC, the
 * temporaries of a killed save are deleted at start, and a configuration
 * file or drop-in that is not a regular file (or /dev/null) stops esimd with
 * a clear line; so does a state directory that is not one or that others may
 * write to, and a missing one is created private.
 */

#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esimd-gdbus.h"
#include "esimd-test-harness.h"

typedef EsimdGdbusEuicc EuiccProxy;
typedef EsimdGdbusProfile ProfileProxy;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EuiccProxy, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProfileProxy, g_object_unref)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ---- helpers ---- */

static GDBusObjectManager *
object_manager_new (EsimdTestHarness *h)
{
	g_autoptr(GError) error = NULL;
	GDBusObjectManager *om;

	om = esimd_gdbus_object_manager_client_new_sync (esimd_test_harness_get_connection (h),
	                                                 G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
	                                                 ESIMD_TEST_BUS_NAME, ESIMD_TEST_ROOT_PATH,
	                                                 NULL, &error);
	g_assert_no_error (error);
	return om;
}

static guint
count_interfaces (GDBusObjectManager *om, const gchar *interface_name)
{
	GList *objects = g_dbus_object_manager_get_objects (om);
	guint n = 0;

	for (GList *l = objects; l != NULL; l = l->next) {
		g_autoptr(GDBusInterface) iface = g_dbus_object_get_interface (l->data, interface_name);
		if (iface != NULL)
			n++;
	}
	g_list_free_full (objects, g_object_unref);
	return n;
}

static guint
count_euiccs (EsimdTestHarness *h)
{
	g_autoptr(GDBusObjectManager) om = object_manager_new (h);
	return count_interfaces (om, "org.freedesktop.Esimd1.Euicc");
}

/* The profile of the daemon's eUICC(s) in @state (a new reference). */
static EsimdGdbusProfile *
find_profile_in_state (GDBusObjectManager *om, const gchar *state)
{
	GList *objects = g_dbus_object_manager_get_objects (om);
	EsimdGdbusProfile *found = NULL;

	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusProfile *profile = esimd_gdbus_object_get_profile (ESIMD_GDBUS_OBJECT (l->data));
		if (profile != NULL && found == NULL &&
		    g_strcmp0 (esimd_gdbus_profile_get_state (profile), state) == 0)
			found = profile;
		else
			g_clear_object (&profile);
	}
	g_list_free_full (objects, g_object_unref);
	g_assert_nonnull (found);
	return found;
}

static void
assert_log_has (EsimdTestHarness *h, const gchar *needle)
{
	g_autofree gchar *log = esimd_test_harness_read_log (h);

	if (strstr (log, needle) == NULL)
		g_error ("the daemon log lacks \"%s\":\n%s", needle, log);
}

/* A card file made by a daemon run of its own (so the test needs no card code). */
static gchar *
create_card (EsimdTestHarness *h, guint i)
{
	gchar *path = esimd_test_harness_card_path (h, i);
	g_autofree gchar *arg = g_strdup_printf ("--virtual-euicc=%s", path);

	esimd_test_harness_start_daemon (h, 0, (const gchar *const[]) { arg, NULL });
	esimd_test_harness_stop_daemon (h);
	g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
	return path;
}

/* ---- --virtual-euicc ---- */

static void
test_fifo (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *fifo = esimd_test_harness_card_path (h, 1);
	g_autofree gchar *refusal = NULL;
	GStatBuf st;

	g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
	/* nobody writes to it: without O_NONBLOCK esimd would wait here forever */
	esimd_test_harness_start_daemon (h, 2, NULL);
	g_assert_cmpuint (count_euiccs (h), ==, 1);
	refusal = g_strdup_printf ("refusing software eUICC %s: state file %s: "
	                           "not a regular file but a FIFO", fifo, fifo);
	assert_log_has (h, refusal);
	esimd_test_harness_stop_daemon (h);
	g_assert_cmpint (g_lstat (fifo, &st), ==, 0);
	g_assert_true (S_ISFIFO (st.st_mode));
}

static void
test_devices (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *dir = g_build_filename (esimd_test_harness_get_tmpdir (h), "dir.ini", NULL);
	g_autofree gchar *dir_arg = g_strdup_printf ("--virtual-euicc=%s", dir);

	g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
	/* /dev/zero never ends: without a size cap esimd would read until memory runs out */
	esimd_test_harness_start_daemon (h, 1, (const gchar *const[]) {
		"--virtual-euicc=/dev/zero", "--virtual-euicc=/dev/null", dir_arg, NULL });
	g_assert_cmpuint (count_euiccs (h), ==, 1);
	assert_log_has (h, "refusing software eUICC /dev/zero: state file /dev/zero: "
	                "not a regular file but a character device");
	assert_log_has (h, "refusing software eUICC /dev/null: state file /dev/null: "
	                "not a regular file but a character device");
	assert_log_has (h, "not a regular file but a directory");
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
	g_rmdir (dir);
}

static void
test_symlink (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *real = create_card (h, 0);
	g_autofree gchar *soft = g_build_filename (esimd_test_harness_get_tmpdir (h), "link.ini",
	                                           NULL);
	g_autofree gchar *soft_arg = g_strdup_printf ("--virtual-euicc=%s", soft);
	g_autofree gchar *iccid = NULL;
	g_autofree gchar *kept_in = NULL;
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(ProfileProxy) disabled = NULL;
	g_autoptr(ProfileProxy) enabled = NULL;
	g_autoptr(GError) error = NULL;
	GStatBuf st;

	g_assert_cmpint (symlink ("card0.ini", soft), ==, 0);
	esimd_test_harness_start_daemon (h, 0, (const gchar *const[]) { soft_arg, NULL });
	kept_in = g_strdup_printf ("software eUICC %s (kept in %s)", soft, real);
	assert_log_has (h, kept_in);
	om = object_manager_new (h);
	disabled = find_profile_in_state (om, "disabled");
	iccid = g_strdup (esimd_gdbus_profile_get_iccid (disabled));
	esimd_gdbus_profile_call_enable_sync (disabled, g_variant_new_parsed ("@a{sv} {}"), NULL,
	                                      &error);
	g_assert_no_error (error);
	g_clear_object (&disabled);
	g_clear_object (&om);
	esimd_test_harness_stop_daemon (h);

	/* still a link, and the card behind it has the change */
	g_assert_cmpint (g_lstat (soft, &st), ==, 0);
	g_assert_true (S_ISLNK (st.st_mode));
	esimd_test_harness_start_daemon (h, 1, NULL);
	om = object_manager_new (h);
	enabled = find_profile_in_state (om, "enabled");
	g_assert_cmpstr (esimd_gdbus_profile_get_iccid (enabled), ==, iccid);
}

static void
test_same_file_twice (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *real = create_card (h, 0);
	const gchar *tmpdir = esimd_test_harness_get_tmpdir (h);
	g_autofree gchar *soft = g_build_filename (tmpdir, "soft.ini", NULL);
	g_autofree gchar *hard = g_build_filename (tmpdir, "hard.ini", NULL);
	g_autofree gchar *dotted = g_strdup_printf ("%s/./card0.ini", tmpdir);
	g_autofree gchar *soft_arg = g_strdup_printf ("--virtual-euicc=%s", soft);
	g_autofree gchar *hard_arg = g_strdup_printf ("--virtual-euicc=%s", hard);
	g_autofree gchar *dotted_arg = g_strdup_printf ("--virtual-euicc=%s", dotted);
	g_autofree gchar *real_arg = NULL;
	g_autofree gchar *soft_line = NULL;
	g_autofree gchar *hard_line = NULL;
	g_autofree gchar *real_line = NULL;

	g_assert_cmpint (symlink (real, soft), ==, 0);
	g_assert_cmpint (link (real, hard), ==, 0);
	esimd_test_harness_start_daemon (h, 1, (const gchar *const[]) {
		soft_arg, hard_arg, dotted_arg, NULL });
	/* four paths, one file: one eUICC, and two lines saying why */
	g_assert_cmpuint (count_euiccs (h), ==, 1);
	soft_line = g_strdup_printf ("software eUICC %s leads to %s, attached already: ignored",
	                             soft, real);
	assert_log_has (h, soft_line);
	hard_line = g_strdup_printf ("software eUICC %s is the same file as %s (a hard link), "
	                             "attached already: ignored", hard, real);
	assert_log_has (h, hard_line);
	esimd_test_harness_stop_daemon (h);

	/* the link first, then the file itself */
	real_arg = g_strdup_printf ("--virtual-euicc=%s", real);
	esimd_test_harness_start_daemon (h, 0, (const gchar *const[]) { soft_arg, real_arg, NULL });
	g_assert_cmpuint (count_euiccs (h), ==, 1);
	real_line = g_strdup_printf ("software eUICC %s is attached already through a link: ignored",
	                             real);
	assert_log_has (h, real_line);
}

static void
test_temporaries (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *card = create_card (h, 0);
	g_autofree gchar *killed = g_strconcat (card, ".esimd-k1LLed", NULL);
	g_autofree gchar *state = NULL;
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(ProfileProxy) disabled = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = NULL;
	const gchar *name;

	/* what a save killed between naming its temporary and renaming it leaves */
	g_assert_true (g_file_get_contents (card, &state, NULL, NULL));
	g_assert_true (g_file_set_contents (killed, state, -1, NULL));
	g_assert_cmpint (g_chmod (killed, 0600), ==, 0);
	esimd_test_harness_start_daemon (h, 1, NULL);
	g_assert_false (g_file_test (killed, G_FILE_TEST_EXISTS));
	assert_log_has (h, "removed 1 temporary file(s) a killed save of");

	/* and saving leaves none */
	om = object_manager_new (h);
	disabled = find_profile_in_state (om, "disabled");
	esimd_gdbus_profile_call_enable_sync (disabled, g_variant_new_parsed ("@a{sv} {}"), NULL,
	                                      &error);
	g_assert_no_error (error);
	dir = g_dir_open (esimd_test_harness_get_tmpdir (h), 0, NULL);
	while ((name = g_dir_read_name (dir)) != NULL)
		g_assert_null (strstr (name, ".esimd-"));
}

/* ---- configuration ---- */

static void
assert_refused_config (EsimdTestHarness *h, const gchar *const *args, const gchar *path,
                       const gchar *kind)
{
	g_autofree gchar *err = NULL;
	g_autofree gchar *expected = g_strdup_printf ("%s: not a regular file but %s", path, kind);
	gint status;

	status = esimd_test_harness_run_daemon_argv (h, args, NULL, &err);
	/* -1: still running after 10 s (blocked on the FIFO) and killed */
	g_assert_cmpint (status, ==, 1);
	g_test_message ("refused as expected: %s", err);
	g_assert_nonnull (strstr (err, expected));
}

static void
test_config (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *fifo = g_build_filename (esimd_test_harness_get_tmpdir (h), "fifo.conf",
	                                           NULL);
	g_autofree gchar *fifo_arg = g_strdup_printf ("--config=%s", fifo);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *conf_dir = esimd_test_harness_config_dir (h);
	g_autofree gchar *drop_in = g_build_filename (conf_dir, "50-fifo.conf", NULL);

	g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
	assert_refused_config (h, (const gchar *const[]) { "--session", fifo_arg, NULL }, fifo,
	                       "a FIFO");
	assert_refused_config (h, (const gchar *const[]) { "--session", "--config=/dev/zero", NULL },
	                       "/dev/zero", "a character device");

	/* a drop-in that is a FIFO */
	g_assert_true (g_file_set_contents (config, "", 0, NULL));
	g_assert_cmpint (g_mkdir_with_parents (conf_dir, 0700), ==, 0);
	g_assert_cmpint (mkfifo (drop_in, 0600), ==, 0);
	assert_refused_config (h, (const gchar *const[]) { "--session", config_arg, NULL }, drop_in,
	                       "a FIFO");
	g_unlink (drop_in);

	/* /dev/null is no configuration: as --config, and as a masked drop-in */
	g_assert_cmpint (symlink ("/dev/null", drop_in), ==, 0);
	esimd_test_harness_start_daemon (h, 1, (const gchar *const[]) { "--config=/dev/null", NULL });
	g_assert_cmpuint (count_euiccs (h), ==, 1);
	g_unlink (drop_in);
}

/* ---- the state directory ---- */

static void
assert_state_dir_private (const gchar *dir)
{
	struct stat st;

	g_assert_cmpint (stat (dir, &st), ==, 0);
	g_assert_true (S_ISDIR (st.st_mode));
	g_assert_cmpint (st.st_mode & 07777, ==, 0700);
	g_assert_cmpuint (st.st_uid, ==, geteuid ());
}

/* A missing state directory is created, parents too, mode 0700; with --session and no
 * --state-dir it is $XDG_STATE_HOME/esimd (the harness points XDG_STATE_HOME into tmpdir). */
static void
test_state_dir_created (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	const gchar *tmpdir = esimd_test_harness_get_tmpdir (h);
	g_autofree gchar *parent = g_build_filename (tmpdir, "var", NULL);
	g_autofree gchar *dir = g_build_filename (parent, "lib", "esimd", NULL);
	g_autofree gchar *dir_arg = g_strdup_printf ("--state-dir=%s", dir);
	g_autofree gchar *session_dir = g_build_filename (tmpdir, "xdg-state", "esimd", NULL);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *err = NULL;
	mode_t old_umask;

	/* whatever the umask lets through */
	old_umask = umask (0);
	esimd_test_harness_start_daemon (h, 1, (const gchar *const[]) { dir_arg, NULL });
	umask (old_umask);
	assert_state_dir_private (dir);
	assert_state_dir_private (parent);

	/* a second daemon opens its state before it finds the name taken, and exits 1 */
	g_assert_false (g_file_test (session_dir, G_FILE_TEST_EXISTS));
	g_assert_cmpint (esimd_test_harness_run_daemon_sync (h, &err, "--session", config_arg,
	                                                     NULL), ==, 1);
	g_assert_nonnull (strstr (err, "org.freedesktop.Esimd1"));
	assert_state_dir_private (session_dir);
}

/* Under systemd (no --state-dir, no --session) the unit's StateDirectory=, which systemd
 * passes as $STATE_DIRECTORY, is the state directory whatever prefix esimd was built with. */
static void
test_state_dir_from_systemd (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SYSTEM);
	const gchar *tmpdir = esimd_test_harness_get_tmpdir (h);
	g_autofree gchar *dir = g_build_filename (tmpdir, "systemd-state", "esimd", NULL);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *err = NULL;

	/* the first daemon holds the name; the second opens its state, then finds it taken */
	esimd_test_harness_start_daemon (h, 1, NULL);
	g_setenv ("STATE_DIRECTORY", dir, TRUE);
	g_assert_cmpint (esimd_test_harness_run_daemon_sync (h, &err, config_arg, NULL), ==, 1);
	g_unsetenv ("STATE_DIRECTORY");
	g_test_message ("esimd said: %s", err);
	g_assert_nonnull (strstr (err, "org.freedesktop.Esimd1"));
	assert_state_dir_private (dir);
}

static void
assert_state_dir_refused (EsimdTestHarness *h, const gchar *dir, const gchar *reason)
{
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *dir_arg = g_strdup_printf ("--state-dir=%s", dir);
	g_autofree gchar *card = esimd_test_harness_card_path (h, 0);
	g_autofree gchar *card_arg = g_strdup_printf ("--virtual-euicc=%s", card);
	g_autofree gchar *expected = g_strdup_printf ("esimd: state directory %s: %s", dir, reason);
	g_autofree gchar *err = NULL;
	gint status;

	g_assert_true (g_file_set_contents (config, "", 0, NULL));
	status = esimd_test_harness_run_daemon_sync (h, &err, "--session", config_arg, card_arg,
	                                             dir_arg, NULL);
	g_test_message ("esimd said: %s", err);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (err, expected));
	/* refused before anything else: the card was never loaded nor created */
	g_assert_false (g_file_test (card, G_FILE_TEST_EXISTS));
}

/* A state directory others could write to, or that is not one, stops esimd with one line. */
static void
test_state_dir_refused (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	const gchar *tmpdir = esimd_test_harness_get_tmpdir (h);
	g_autofree gchar *file = g_build_filename (tmpdir, "state-file", NULL);
	g_autofree gchar *open_dir = g_build_filename (tmpdir, "state-777", NULL);
	g_autofree gchar *group_dir = g_build_filename (tmpdir, "state-770", NULL);
	g_autofree gchar *foreign_dir = g_build_filename (tmpdir, "state-foreign", NULL);

	g_assert_true (g_file_set_contents (file, "", 0, NULL));
	assert_state_dir_refused (h, file, "not a directory");

	g_assert_cmpint (g_mkdir (open_dir, 0700), ==, 0);
	g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0);
	assert_state_dir_refused (h, open_dir, "writable by group or others (mode 0777)");
	g_assert_cmpint (g_mkdir (group_dir, 0700), ==, 0);
	g_assert_cmpint (g_chmod (group_dir, 0770), ==, 0);
	assert_state_dir_refused (h, group_dir, "writable by group or others (mode 0770)");

	/* only root can give a directory away */
	if (geteuid () == 0) {
		g_assert_cmpint (g_mkdir (foreign_dir, 0700), ==, 0);
		g_assert_cmpint (chown (foreign_dir, 65534, 65534), ==, 0);
		assert_state_dir_refused (h, foreign_dir, "owned by uid 65534, not by esimd's user");
	} else {
		g_test_message ("not root: a directory owned by another user is not tried");
	}
}

int
main (int argc, char **argv)
{
#ifndef UNDER_ASAN
	/* esimd and dbus-daemon inherit this: an esimd that read /dev/zero without end would
	 * stop at it instead of taking the machine's memory */
	struct rlimit limit = { 2048ul * 1024 * 1024, 2048ul * 1024 * 1024 };
	setrlimit (RLIMIT_AS, &limit);
#endif
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/daemon/files/fifo", test_fifo);
	g_test_add_func ("/esimd/daemon/files/devices", test_devices);
	g_test_add_func ("/esimd/daemon/files/symlink", test_symlink);
	g_test_add_func ("/esimd/daemon/files/same-file-twice", test_same_file_twice);
	g_test_add_func ("/esimd/daemon/files/temporaries", test_temporaries);
	g_test_add_func ("/esimd/daemon/files/config", test_config);
	g_test_add_func ("/esimd/daemon/files/state-dir-created", test_state_dir_created);
	g_test_add_func ("/esimd/daemon/files/state-dir-refused", test_state_dir_refused);
	g_test_add_func ("/esimd/daemon/files/state-dir-from-systemd", test_state_dir_from_systemd);

	return g_test_run ();
}
