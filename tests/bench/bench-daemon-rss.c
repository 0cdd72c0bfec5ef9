/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prints esimd's resident memory with 1 and with 64 software eUICCs, after the
 * daemon has probed them all, and how many wakeups it has while idle.
 * Figures, not asserts (design.md targets: RSS ≤ 11 MiB with one eUICC;
 * 64 eUICCs ≤ 2× that; no wakeups while idle).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static gchar *
proc_status_field (GPid pid, const gchar *field)
{
	g_autofree gchar *path = g_strdup_printf ("/proc/%d/status", (int) pid);
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents (path, &contents, NULL, NULL))
		return g_strdup ("?");
	lines = g_strsplit (contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix (lines[i], field))
			return g_strstrip (g_strdup (lines[i] + strlen (field) + 1));
	}
	return g_strdup ("?");
}

static guint64
proc_context_switches (GPid pid)
{
	g_autofree gchar *vol = proc_status_field (pid, "voluntary_ctxt_switches");
	g_autofree gchar *nonvol = proc_status_field (pid, "nonvoluntary_ctxt_switches");
	return g_ascii_strtoull (vol, NULL, 10) + g_ascii_strtoull (nonvol, NULL, 10);
}

static gboolean
wait_for_name (GDBusConnection *bus, guint timeout_s)
{
	for (guint i = 0; i < timeout_s * 20; i++) {
		g_autoptr(GVariant) ret = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
			g_variant_new ("(s)", "org.freedesktop.Esimd1"), G_VARIANT_TYPE ("(b)"),
			G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
		gboolean has = FALSE;
		if (ret != NULL)
			g_variant_get (ret, "(b)", &has);
		if (has)
			return TRUE;
		g_usleep (50 * 1000);
	}
	return FALSE;
}

static void
measure (const gchar *esimd, const gchar *tmpdir, guint n_cards)
{
	g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
	g_autoptr(GDBusConnection) conn = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) daemon = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *rss = NULL;
	g_autofree gchar *hwm = NULL;
	guint64 switches_before, switches_after;

	g_test_dbus_up (bus);
	conn = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error (error);

	g_ptr_array_add (argv, g_strdup (esimd));
	g_ptr_array_add (argv, g_strdup ("--session"));
	g_ptr_array_add (argv, g_strdup_printf ("--state-dir=%s/state-%u", tmpdir, n_cards));
	g_ptr_array_add (argv, g_strdup_printf ("--config=%s/empty.conf", tmpdir));
	for (guint i = 0; i < n_cards; i++)
		g_ptr_array_add (argv, g_strdup_printf ("--virtual-euicc=%s/bench-card-%u.ini", tmpdir, i));
	g_ptr_array_add (argv, NULL);

	launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
	                              g_test_dbus_get_bus_address (bus), TRUE);
	daemon = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv->pdata, &error);
	g_assert_no_error (error);
	if (!wait_for_name (conn, 60)) {
		g_print ("%2u eUICCs: daemon did not come up\n", n_cards);
		g_subprocess_force_exit (daemon);
		g_test_dbus_down (bus);
		return;
	}
	g_usleep (G_USEC_PER_SEC / 2);
	rss = proc_status_field (atoi (g_subprocess_get_identifier (daemon)), "VmRSS");
	hwm = proc_status_field (atoi (g_subprocess_get_identifier (daemon)), "VmHWM");
	switches_before = proc_context_switches (atoi (g_subprocess_get_identifier (daemon)));
	g_usleep (3 * G_USEC_PER_SEC);
	switches_after = proc_context_switches (atoi (g_subprocess_get_identifier (daemon)));
	g_print ("%2u eUICCs: RSS %s, peak %s, %" G_GUINT64_FORMAT " wakeups in 3 s idle\n",
	         n_cards, rss, hwm, switches_after - switches_before);
	g_subprocess_send_signal (daemon, SIGTERM);
	g_subprocess_wait (daemon, NULL, NULL);
	g_test_dbus_down (bus);
}

int
main (int argc, char **argv)
{
	const gchar *esimd = g_getenv ("ESIMD");
	g_autofree gchar *tmpdir = NULL;
	g_autofree gchar *conf = NULL;

	if (esimd == NULL) {
		g_printerr ("ESIMD is not set\n");
		return 1;
	}
	tmpdir = g_dir_make_tmp ("esimd-bench-XXXXXX", NULL);
	conf = g_build_filename (tmpdir, "empty.conf", NULL);
	g_file_set_contents (conf, "", 0, NULL);
	measure (esimd, tmpdir, 1);
	measure (esimd, tmpdir, 64);
	return 0;
}
