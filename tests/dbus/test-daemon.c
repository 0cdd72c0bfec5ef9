/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real esimd on a private bus, driven through the generated GDBus
 * proxies: object tree, properties, every Euicc/Profile method, the error
 * names, the queue, persistence across restarts, configuration errors, the
 * refusal of a corrupt software eUICC and fail-closed polkit on the system bus.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esimd-gdbus.h"
#include "esimd-test-harness.h"

/* gdbus-codegen gives autoptr cleanups to its classes, not to the interface types */
typedef EsimdGdbusEuicc EuiccProxy;
typedef EsimdGdbusProfile ProfileProxy;
typedef EsimdGdbusManager ManagerProxy;
typedef EsimdGdbusEim EimProxy;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EuiccProxy, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProfileProxy, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ManagerProxy, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EimProxy, g_object_unref)

#define ERROR_PREFIX "org.freedesktop.Esimd1.Error."
#define WAIT_MS      5000

/* vectors.md V16: the AddInitialEimRequest shipped with onomondo-ipa */
static const gchar v16_add_initial_eim[] =
	"BF577CA07A3078800365494D810E3132372E302E302E313A383030308301018401FFA55BA059301306072A"
	"8648CE3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D36DF"
	"9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3DDF1C";

/* ---- helpers ---- */

static GVariant *
bytes_variant_from_hex (const gchar *hex)
{
	g_autoptr(GByteArray) bytes = g_byte_array_new ();
	gsize len = strlen (hex);

	g_assert_cmpuint (len % 2, ==, 0);
	for (gsize i = 0; i < len; i += 2) {
		guint8 b = (guint8) ((g_ascii_xdigit_value (hex[i]) << 4) |
		                     g_ascii_xdigit_value (hex[i + 1]));
		g_byte_array_append (bytes, &b, 1);
	}
	return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes->data, bytes->len, 1);
}

static GVariant *
empty_options (void)
{
	return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

static void
assert_error_name (const GError *error, const gchar *short_name)
{
	g_autofree gchar *remote = NULL;
	g_autofree gchar *expected = g_strconcat (ERROR_PREFIX, short_name, NULL);

	g_assert_nonnull (error);
	remote = g_dbus_error_get_remote_error (error);
	g_assert_cmpstr (remote, ==, expected);
}

/* Runs every event already queued: replies come after their PropertiesChanged. */
static void
drain_events (void)
{
	while (g_main_context_iteration (NULL, FALSE))
		;
}

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

static EsimdGdbusManager *
manager_proxy_new (EsimdTestHarness *h)
{
	g_autoptr(GError) error = NULL;
	EsimdGdbusManager *manager;

	manager = esimd_gdbus_manager_proxy_new_sync (esimd_test_harness_get_connection (h),
	                                              G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
	                                              ESIMD_TEST_BUS_NAME, ESIMD_TEST_ROOT_PATH,
	                                              NULL, &error);
	g_assert_no_error (error);
	return manager;
}

static gint
compare_proxy_paths (gconstpointer a, gconstpointer b)
{
	GDBusProxy *pa = *(GDBusProxy *const *) a;
	GDBusProxy *pb = *(GDBusProxy *const *) b;

	return g_strcmp0 (g_dbus_proxy_get_object_path (pa), g_dbus_proxy_get_object_path (pb));
}

/* All eUICC proxies (new references), sorted by path. */
static GPtrArray *
list_euiccs (GDBusObjectManager *om)
{
	GPtrArray *euiccs = g_ptr_array_new_with_free_func (g_object_unref);
	GList *objects = g_dbus_object_manager_get_objects (om);

	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusEuicc *euicc = esimd_gdbus_object_get_euicc (ESIMD_GDBUS_OBJECT (l->data));
		if (euicc != NULL)
			g_ptr_array_add (euiccs, euicc);
	}
	g_list_free_full (objects, g_object_unref);
	g_ptr_array_sort (euiccs, compare_proxy_paths);
	return euiccs;
}

/* Profile proxies (new references), of one eUICC or (NULL) all. */
static GPtrArray *
list_profiles (GDBusObjectManager *om, const gchar *euicc_path)
{
	GPtrArray *profiles = g_ptr_array_new_with_free_func (g_object_unref);
	GList *objects = g_dbus_object_manager_get_objects (om);

	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusProfile *profile = esimd_gdbus_object_get_profile (ESIMD_GDBUS_OBJECT (l->data));
		if (profile == NULL)
			continue;
		if (euicc_path == NULL ||
		    g_strcmp0 (esimd_gdbus_profile_get_euicc (profile), euicc_path) == 0)
			g_ptr_array_add (profiles, profile);
		else
			g_object_unref (profile);
	}
	g_list_free_full (objects, g_object_unref);
	g_ptr_array_sort (profiles, compare_proxy_paths);
	return profiles;
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

/* The only profile of @om in @state (a new reference). */
static EsimdGdbusProfile *
find_profile_in_state (GDBusObjectManager *om, const gchar *state)
{
	g_autoptr(GPtrArray) profiles = list_profiles (om, NULL);
	EsimdGdbusProfile *found = NULL;

	for (guint i = 0; i < profiles->len; i++) {
		EsimdGdbusProfile *profile = g_ptr_array_index (profiles, i);
		if (g_strcmp0 (esimd_gdbus_profile_get_state (profile), state) == 0) {
			g_assert_null (found);
			found = g_object_ref (profile);
		}
	}
	g_assert_nonnull (found);
	return found;
}

static EsimdGdbusProfile *
find_profile_by_iccid (GDBusObjectManager *om, const gchar *iccid)
{
	g_autoptr(GPtrArray) profiles = list_profiles (om, NULL);

	for (guint i = 0; i < profiles->len; i++) {
		EsimdGdbusProfile *profile = g_ptr_array_index (profiles, i);
		if (g_strcmp0 (esimd_gdbus_profile_get_iccid (profile), iccid) == 0)
			return g_object_ref (profile);
	}
	return NULL;
}

static EsimdGdbusEuicc *
first_euicc (GDBusObjectManager *om)
{
	g_autoptr(GPtrArray) euiccs = list_euiccs (om);

	g_assert_cmpuint (euiccs->len, >=, 1);
	return g_object_ref (g_ptr_array_index (euiccs, 0));
}

static void
collect_changed_property (GDBusProxy *proxy, GVariant *changed, const gchar *const *invalidated,
                          GPtrArray *seen)
{
	GVariantIter iter;
	const gchar *name;
	GVariant *value;

	g_variant_iter_init (&iter, changed);
	while (g_variant_iter_next (&iter, "{&sv}", &name, &value)) {
		if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
			g_ptr_array_add (seen, g_strdup_printf ("%s=%s", name,
			                                        g_variant_get_string (value, NULL)));
		else
			g_ptr_array_add (seen, g_strdup (name));
		g_variant_unref (value);
	}
}

static void
collect_progress (EsimdGdbusEuicc *euicc, const gchar *operation, guint percent, GPtrArray *seen)
{
	g_ptr_array_add (seen, g_strdup_printf ("%s:%u", operation, percent));
}

static gboolean
strv_has (GPtrArray *array, const gchar *value)
{
	for (guint i = 0; i < array->len; i++) {
		if (g_strcmp0 (g_ptr_array_index (array, i), value) == 0)
			return TRUE;
	}
	return FALSE;
}

static EsimdTestHarness *
start_session (guint n_cards, GDBusObjectManager **om)
{
	EsimdTestHarness *h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);

	esimd_test_harness_start_daemon (h, n_cards, NULL);
	*om = object_manager_new (h);
	return h;
}

/* ---- command line and configuration ---- */

static void
test_version (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *expected = g_strdup_printf ("esimd %s\n", PACKAGE_VERSION);
	const gchar *version_args[] = { "--version", NULL };
	const gchar *bad_args[] = { "--no-such-option", NULL };
	const gchar *extra_args[] = { "--session", "stray", NULL };
	gint status;

	status = esimd_test_harness_run_daemon_argv (h, version_args, &out, &err);
	g_assert_cmpint (status, ==, 0);
	g_assert_cmpstr (out, ==, expected);

	g_clear_pointer (&err, g_free);
	status = esimd_test_harness_run_daemon_argv (h, bad_args, NULL, &err);
	g_assert_cmpint (status, ==, 2);
	g_assert_nonnull (strstr (err, "--no-such-option"));

	g_clear_pointer (&err, g_free);
	status = esimd_test_harness_run_daemon_argv (h, extra_args, NULL, &err);
	g_assert_cmpint (status, ==, 2);
	g_assert_nonnull (strstr (err, "stray"));
}

static void
assert_config_refused (EsimdTestHarness *h, const gchar *contents, const gchar *expected_key)
{
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *err = NULL;
	g_auto(GStrv) lines = NULL;
	gint status;

	g_assert_true (g_file_set_contents (config, contents, -1, NULL));
	status = esimd_test_harness_run_daemon_sync (h, &err, "--session", config_arg, NULL);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (err, config));
	g_assert_nonnull (strstr (err, expected_key));
	/* one clear line */
	lines = g_strsplit (g_strstrip (err), "\n", -1);
	g_assert_cmpuint (g_strv_length (lines), ==, 1);
}

static void
test_bad_config (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *config_dir = esimd_test_harness_config_dir (h);
	g_autofree gchar *dropin = g_build_filename (config_dir, "50-bad.conf", NULL);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *missing_arg = NULL;
	g_autofree gchar *err = NULL;
	gint status;

	assert_config_refused (h, "[euicc]\nStoreDataSegmentSize=300\n", "[euicc] StoreDataSegmentSize");
	assert_config_refused (h, "[euicc]\nStoreDataSegmentSize=5\n", "StoreDataSegmentSize");
	assert_config_refused (h, "[daemon]\nLogLevel=loud\n", "[daemon] LogLevel");
	assert_config_refused (h, "[daemon]\nLogPersonalInfo=maybe\n", "LogPersonalInfo");
	assert_config_refused (h, "[euicc]\nRefreshOnSwitch=2\n", "RefreshOnSwitch");
	assert_config_refused (h, "this is not a key file\n", "");

	/* a drop-in in the configuration directory is read after the main file */
	g_assert_true (g_file_set_contents (config, "[euicc]\nStoreDataSegmentSize=64\n", -1, NULL));
	g_assert_true (g_file_set_contents (dropin, "[daemon]\nLogLevel=verbose\n", -1, NULL));
	status = esimd_test_harness_run_daemon_sync (h, &err, "--session", config_arg, NULL);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (err, "50-bad.conf"));
	g_assert_nonnull (strstr (err, "LogLevel"));
	g_assert_cmpint (g_unlink (dropin), ==, 0);

	/* an explicitly named file must exist */
	g_clear_pointer (&err, g_free);
	missing_arg = g_strdup_printf ("--config=%s/missing.conf", esimd_test_harness_get_tmpdir (h));
	status = esimd_test_harness_run_daemon_sync (h, &err, "--session", missing_arg, NULL);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (err, "missing.conf"));
}

static void
test_config_applied (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_dir = esimd_test_harness_config_dir (h);
	g_autofree gchar *dropin = g_build_filename (config_dir, "10-virtual.conf", NULL);
	g_autofree gchar *contents = NULL;
	g_autofree gchar *log = NULL;
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(GPtrArray) euiccs = NULL;

	/* unknown keys warn; [virtual] Files adds a card; relative to the file's directory */
	g_assert_true (g_file_set_contents (config,
	                                    "[daemon]\nLogLevel=info\nFrobnicate=1\n"
	                                    "[euicc]\nStoreDataSegmentSize=64\n"
	                                    "[virtual]\nFiles=/nonexistent-dir/x.ini\n"
	                                    "[colours]\nRed=1\n", -1, NULL));
	/* a later file overrides the list */
	contents = g_strdup_printf ("[virtual]\nFiles=%s/extra.ini\n", esimd_test_harness_get_tmpdir (h));
	g_assert_true (g_file_set_contents (dropin, contents, -1, NULL));

	esimd_test_harness_start_daemon (h, 1, NULL);
	om = object_manager_new (h);
	euiccs = list_euiccs (om);
	g_assert_cmpuint (euiccs->len, ==, 2);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, 4);

	log = esimd_test_harness_read_log (h);
	g_assert_nonnull (strstr (log, "unknown key [daemon] Frobnicate"));
	g_assert_nonnull (strstr (log, "unknown group [colours]"));
	g_assert_null (strstr (log, "/nonexistent-dir/x.ini"));
}

/* ---- the object tree ---- */

static void
check_euicc_properties (EsimdGdbusEuicc *euicc)
{
	const gchar *eid = esimd_gdbus_euicc_get_eid (euicc);

	g_assert_cmpuint (strlen (eid), ==, 32);
	for (guint i = 0; i < 32; i++)
		g_assert_true (g_ascii_isdigit (eid[i]));
	g_assert_cmpstr (esimd_gdbus_euicc_get_transport (euicc), ==, "virtual");
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_modem (euicc), ==, "/");
	g_assert_cmpuint (esimd_gdbus_euicc_get_slot (euicc), ==, 0);
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");
	g_assert_cmpstr (esimd_gdbus_euicc_get_svn_version (euicc), !=, "");
	g_assert_nonnull (strchr (esimd_gdbus_euicc_get_svn_version (euicc), '.'));
	g_assert_cmpint (esimd_gdbus_euicc_get_last_poll (euicc), ==, 0);
	g_assert_cmpint (esimd_gdbus_euicc_get_next_poll (euicc), ==, 0);
	g_assert_cmpuint (g_strv_length ((gchar **) esimd_gdbus_euicc_get_profiles (euicc)), ==, 2);
	g_assert_cmpuint (g_strv_length ((gchar **) esimd_gdbus_euicc_get_eims (euicc)), ==, 0);
	g_assert_true (g_str_has_prefix (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)),
	                                 "/org/freedesktop/Esimd1/Euicc/"));
}

static void
check_profiles_of (GDBusObjectManager *om, EsimdGdbusEuicc *euicc)
{
	const gchar *euicc_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc));
	const gchar *const *paths = esimd_gdbus_euicc_get_profiles (euicc);
	g_autoptr(GPtrArray) profiles = list_profiles (om, euicc_path);
	guint n_enabled = 0;

	g_assert_cmpuint (profiles->len, ==, 2);
	for (guint i = 0; i < profiles->len; i++) {
		EsimdGdbusProfile *profile = g_ptr_array_index (profiles, i);
		const gchar *state = esimd_gdbus_profile_get_state (profile);
		const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (profile));

		g_assert_true (g_strv_contains (paths, path));
		g_assert_true (g_str_has_prefix (path, "/org/freedesktop/Esimd1/Profile/"));
		g_assert_cmpuint (strlen (esimd_gdbus_profile_get_iccid (profile)), >=, 18);
		g_assert_true (g_strcmp0 (state, "enabled") == 0 || g_strcmp0 (state, "disabled") == 0);
		if (g_strcmp0 (state, "enabled") == 0)
			n_enabled++;
		g_assert_cmpstr (esimd_gdbus_profile_get_name (profile), !=, "");
		g_assert_cmpstr (esimd_gdbus_profile_get_aid (profile), !=, "");
		g_assert_true (g_strv_contains ((const gchar *const[]) { "operational", "provisioning",
		                                                          "test", NULL },
		                                esimd_gdbus_profile_get_class (profile)));
	}
	g_assert_cmpuint (n_enabled, ==, 1);
}

static void
test_tree (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(ManagerProxy) manager = manager_proxy_new (h);
	g_autoptr(GPtrArray) euiccs = list_euiccs (om);
	g_autofree gchar *log = NULL;
	const gchar *const *manager_euiccs;
	EsimdGdbusEuicc *euicc;

	g_assert_cmpstr (esimd_gdbus_manager_get_version (manager), ==, PACKAGE_VERSION);
	manager_euiccs = esimd_gdbus_manager_get_euiccs (manager);
	g_assert_cmpuint (g_strv_length ((gchar **) manager_euiccs), ==, 1);

	g_assert_cmpuint (euiccs->len, ==, 1);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Euicc"), ==, 1);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, 2);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Eim"), ==, 0);
	euicc = g_ptr_array_index (euiccs, 0);
	g_assert_cmpstr (manager_euiccs[0], ==, g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));
	check_euicc_properties (euicc);
	check_profiles_of (om, euicc);

	/* personal data stays masked in the log without --log-personal-info */
	log = esimd_test_harness_read_log (h);
	g_assert_null (strstr (log, esimd_gdbus_euicc_get_eid (euicc)));
	g_assert_nonnull (strstr (log, "[euicc0]"));
}

static void
test_tree_two_cards (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(ManagerProxy) manager = NULL;
	g_autoptr(GPtrArray) euiccs = NULL;
	g_autofree gchar *log = NULL;

	esimd_test_harness_start_daemon (h, 2, (const gchar *const[]) { "--log-personal-info", NULL });
	om = object_manager_new (h);
	manager = manager_proxy_new (h);
	euiccs = list_euiccs (om);

	g_assert_cmpuint (euiccs->len, ==, 2);
	g_assert_cmpuint (g_strv_length ((gchar **) esimd_gdbus_manager_get_euiccs (manager)), ==, 2);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, 4);
	for (guint i = 0; i < euiccs->len; i++) {
		check_euicc_properties (g_ptr_array_index (euiccs, i));
		check_profiles_of (om, g_ptr_array_index (euiccs, i));
	}
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (g_ptr_array_index (euiccs, 0)), !=,
	                 esimd_gdbus_euicc_get_eid (g_ptr_array_index (euiccs, 1)));

	/* --log-personal-info: EIDs in clear */
	log = esimd_test_harness_read_log (h);
	g_assert_nonnull (strstr (log, esimd_gdbus_euicc_get_eid (g_ptr_array_index (euiccs, 1))));
}

/* ---- operations ---- */

static void
test_enable_and_restart (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) was_enabled = find_profile_in_state (om, "enabled");
	g_autoptr(ProfileProxy) was_disabled = find_profile_in_state (om, "disabled");
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GPtrArray) progress = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *enabled_iccid = g_strdup (esimd_gdbus_profile_get_iccid (was_disabled));
	g_autofree gchar *enabled_path = NULL;
	g_autofree gchar *eid = g_strdup (esimd_gdbus_euicc_get_eid (euicc));
	guint pending_before = esimd_gdbus_euicc_get_pending_notifications (euicc);
	g_autoptr(ProfileProxy) after = NULL;

	enabled_path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (was_disabled)));
	g_signal_connect (was_disabled, "g-properties-changed", G_CALLBACK (collect_changed_property),
	                  seen);
	g_signal_connect (euicc, "progress", G_CALLBACK (collect_progress), progress);
	esimd_gdbus_euicc_call_enable_profile_sync (euicc, enabled_iccid, empty_options (), NULL,
	                                            &error);
	g_assert_no_error (error);
	/* property changes are flushed before the reply: no waiting needed */
	drain_events ();
	g_assert_true (strv_has (seen, "State=enabled"));
	g_assert_cmpstr (esimd_gdbus_profile_get_state (was_disabled), ==, "enabled");
	g_assert_cmpstr (esimd_gdbus_profile_get_state (was_enabled), ==, "disabled");
	g_assert_cmpuint (esimd_gdbus_euicc_get_pending_notifications (euicc), >, pending_before);
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	g_signal_handlers_disconnect_by_data (was_disabled, seen);
	g_signal_handlers_disconnect_by_data (euicc, progress);
	g_assert_cmpuint (progress->len, ==, 2);
	g_assert_cmpstr (g_ptr_array_index (progress, 0), ==, "enable-profile:0");
	g_assert_cmpstr (g_ptr_array_index (progress, 1), ==, "enable-profile:100");

	/* the same files after a restart: the same card, same objects' content */
	g_clear_object (&was_enabled);
	g_clear_object (&was_disabled);
	g_clear_object (&euicc);
	g_clear_object (&om);
	esimd_test_harness_stop_daemon (h);
	esimd_test_harness_start_daemon (h, 1, NULL);
	om = object_manager_new (h);
	euicc = first_euicc (om);
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, eid);
	after = find_profile_in_state (om, "enabled");
	g_assert_cmpstr (esimd_gdbus_profile_get_iccid (after), ==, enabled_iccid);
	/* ids are per daemon run: a new daemon may number them anew */
	g_assert_true (g_str_has_prefix (g_dbus_proxy_get_object_path (G_DBUS_PROXY (after)),
	                                 "/org/freedesktop/Esimd1/Profile/"));
}

static void
test_profile_interface (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(ProfileProxy) disabled = find_profile_in_state (om, "disabled");
	g_autoptr(ProfileProxy) enabled = find_profile_in_state (om, "enabled");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *disabled_path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (disabled)));

	esimd_gdbus_profile_call_enable_sync (disabled, empty_options (), NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_state (disabled), ==, "enabled");
	g_assert_cmpstr (esimd_gdbus_profile_get_state (enabled), ==, "disabled");
	/* matched by ICCID across the refresh: the same object */
	g_assert_cmpstr (g_dbus_proxy_get_object_path (G_DBUS_PROXY (disabled)), ==, disabled_path);

	esimd_gdbus_profile_call_disable_sync (disabled,
	                                       g_variant_new_parsed ("{'refresh': <false>}"), NULL,
	                                       &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_state (disabled), ==, "disabled");

	esimd_gdbus_profile_call_set_nickname_sync (enabled, "from profile", NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_nickname (enabled), ==, "from profile");
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

static void
test_errors (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) enabled = find_profile_in_state (om, "enabled");
	g_autoptr(ProfileProxy) disabled = find_profile_in_state (om, "disabled");
	g_autoptr(GVariant) notifications = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *last_error = NULL;
	const gchar *enabled_iccid = esimd_gdbus_profile_get_iccid (enabled);

	/* a well-formed ICCID the card does not hold: the caller's mistake, refused before the
	 * card is asked, so LastError (what the card last said) stays as it was */
	esimd_gdbus_euicc_call_enable_profile_sync (euicc, "8944476500000009999", empty_options (),
	                                            NULL, &error);
	assert_error_name (error, "NotFound");
	g_clear_error (&error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");

	/* the daemon still serves */
	esimd_gdbus_euicc_call_list_notifications_sync (euicc, &notifications, NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));

	esimd_gdbus_euicc_call_enable_profile_sync (euicc, "89ab", empty_options (), NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	esimd_gdbus_euicc_call_delete_profile_sync (euicc, "", empty_options (), NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);

	/* the card refuses: enabled profiles cannot be deleted nor enabled again; that is the
	 * card's answer, kept in LastError */
	esimd_gdbus_euicc_call_delete_profile_sync (euicc, enabled_iccid, empty_options (), NULL,
	                                            &error);
	assert_error_name (error, "WrongState");
	g_clear_error (&error);
	drain_events ();
	last_error = g_strdup (esimd_gdbus_euicc_get_last_error (euicc));
	g_assert_cmpstr (last_error, !=, "");
	/* and a caller's own bad arguments do not overwrite it */
	esimd_gdbus_euicc_call_delete_profile_sync (euicc, "123", empty_options (), NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, last_error);
	esimd_gdbus_euicc_call_enable_profile_sync (euicc, enabled_iccid, empty_options (), NULL,
	                                            &error);
	assert_error_name (error, "WrongState");
	g_clear_error (&error);
	esimd_gdbus_euicc_call_disable_profile_sync (euicc,
	                                             esimd_gdbus_profile_get_iccid (disabled),
	                                             empty_options (), NULL, &error);
	assert_error_name (error, "WrongState");
	g_clear_error (&error);

	/* option types are checked */
	esimd_gdbus_euicc_call_enable_profile_sync (euicc, esimd_gdbus_profile_get_iccid (disabled),
	                                            g_variant_new_parsed ("{'refresh': <'yes'>}"),
	                                            NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	esimd_gdbus_euicc_call_enable_profile_sync (euicc, esimd_gdbus_profile_get_iccid (disabled),
	                                            g_variant_new_parsed ("{'colour': <true>}"),
	                                            NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);

	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_state (enabled), ==, "enabled");
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

/* DeleteProfile takes a{sv} like its siblings; no option is defined, so every key is
 * refused before the card is touched.  Profile.Delete forwards its options. */
static void
test_delete_options (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) disabled = find_profile_in_state (om, "disabled");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *iccid = g_strdup (esimd_gdbus_profile_get_iccid (disabled));
	guint n_before = count_interfaces (om, "org.freedesktop.Esimd1.Profile");

	esimd_gdbus_euicc_call_delete_profile_sync (euicc, iccid,
	                                            g_variant_new_parsed ("{'force': <true>}"),
	                                            NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_assert_nonnull (strstr (error->message, "force"));
	g_clear_error (&error);
	/* an unknown key is named as unknown, whatever its value's type */
	esimd_gdbus_profile_call_delete_sync (disabled, g_variant_new_parsed ("{'x': <'y'>}"), NULL,
	                                      &error);
	assert_error_name (error, "InvalidArgs");
	g_assert_nonnull (strstr (error->message, "unknown option \"x\""));
	g_clear_error (&error);
	drain_events ();
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, n_before);
	/* refused arguments are the caller's: LastError keeps what the card said last */
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");

	/* an empty dictionary deletes, through the Profile object too */
	esimd_gdbus_profile_call_delete_sync (disabled, empty_options (), NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, n_before - 1);
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

static void
test_nickname (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) profile = find_profile_in_state (om, "disabled");
	g_autoptr(GError) error = NULL;
	const gchar *iccid = esimd_gdbus_profile_get_iccid (profile);
	g_autofree gchar *too_long = g_strnfill (65, 'x');
	g_autofree gchar *longest = g_strnfill (64, 'y');

	esimd_gdbus_euicc_call_set_nickname_sync (euicc, iccid, "Fleet SIM ü", NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_nickname (profile), ==, "Fleet SIM ü");

	esimd_gdbus_euicc_call_set_nickname_sync (euicc, iccid, longest, NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_nickname (profile), ==, longest);

	esimd_gdbus_euicc_call_set_nickname_sync (euicc, iccid, too_long, NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_nickname (profile), ==, longest);

	esimd_gdbus_euicc_call_set_nickname_sync (euicc, iccid, "", NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_nickname (profile), ==, "");
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

static guint64
first_notification_seq (GVariant *notifications)
{
	g_autoptr(GVariant) first = NULL;
	guint64 seq = 0;

	g_assert_cmpuint (g_variant_n_children (notifications), >, 0);
	first = g_variant_get_child_value (notifications, 0);
	g_assert_true (g_variant_lookup (first, "seq", "t", &seq));
	return seq;
}

static void
test_notifications (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) disabled = find_profile_in_state (om, "disabled");
	g_autoptr(GVariant) before = NULL;
	g_autoptr(GVariant) after = NULL;
	g_autoptr(GVariant) last = NULL;
	g_autoptr(GError) error = NULL;
	guint pending;
	guint64 seq;

	esimd_gdbus_euicc_call_list_notifications_sync (euicc, &before, NULL, &error);
	g_assert_no_error (error);
	esimd_gdbus_profile_call_enable_sync (disabled, empty_options (), NULL, &error);
	g_assert_no_error (error);
	esimd_gdbus_euicc_call_list_notifications_sync (euicc, &after, NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpuint (g_variant_n_children (after), >, g_variant_n_children (before));
	pending = esimd_gdbus_euicc_get_pending_notifications (euicc);
	g_assert_cmpuint (pending, ==, g_variant_n_children (after));
	for (gsize i = 0; i < g_variant_n_children (after); i++) {
		g_autoptr(GVariant) entry = g_variant_get_child_value (after, i);
		const gchar *operation = NULL;
		const gchar *address = NULL;
		guint64 entry_seq;

		g_assert_true (g_variant_lookup (entry, "seq", "t", &entry_seq));
		g_assert_true (g_variant_lookup (entry, "operation", "&s", &operation));
		g_assert_true (g_strv_contains ((const gchar *const[]) { "install", "enable", "disable",
		                                                          "delete", NULL }, operation));
		g_assert_true (g_variant_lookup (entry, "address", "&s", &address));
	}

	seq = first_notification_seq (after);
	esimd_gdbus_euicc_call_remove_notification_sync (euicc, seq, NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_assert_cmpuint (esimd_gdbus_euicc_get_pending_notifications (euicc), ==, pending - 1);

	/* once removed, the same number is unknown */
	esimd_gdbus_euicc_call_remove_notification_sync (euicc, seq, NULL, &error);
	assert_error_name (error, "NotFound");
	g_clear_error (&error);

	esimd_gdbus_euicc_call_list_notifications_sync (euicc, &last, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_variant_n_children (last), ==, pending - 1);
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

typedef struct {
	GPtrArray *removed;
} RemovedObjects;

static void
object_removed_cb (GDBusObjectManager *om, GDBusObject *object, RemovedObjects *removed)
{
	g_ptr_array_add (removed->removed, g_strdup (g_dbus_object_get_object_path (object)));
}

static void
test_memory_reset (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) operational = find_profile_in_state (om, "enabled");
	g_autofree gchar *operational_path = NULL;
	g_autofree gchar *operational_iccid = NULL;
	RemovedObjects removed = { g_ptr_array_new_with_free_func (g_free) };
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	guint n_before = count_interfaces (om, "org.freedesktop.Esimd1.Profile");

	operational_path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (operational)));
	operational_iccid = g_strdup (esimd_gdbus_profile_get_iccid (operational));
	g_clear_object (&operational);

	esimd_gdbus_euicc_call_memory_reset_sync (euicc, g_variant_new_parsed ("{'delete-operational-profiles': <1>}"),
	                                          NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	esimd_gdbus_euicc_call_memory_reset_sync (euicc, g_variant_new_parsed ("{'delete-everything': <true>}"),
	                                          NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, n_before);

	g_signal_connect (om, "object-removed", G_CALLBACK (object_removed_cb), &removed);
	esimd_gdbus_euicc_call_memory_reset_sync (euicc, empty_options (), NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	g_signal_handlers_disconnect_by_data (om, &removed);

	g_assert_true (strv_has (removed.removed, operational_path));
	g_assert_null (find_profile_by_iccid (om, operational_iccid));
	profiles = list_profiles (om, NULL);
	g_assert_cmpuint (profiles->len, <, n_before);
	g_assert_cmpuint (g_strv_length ((gchar **) esimd_gdbus_euicc_get_profiles (euicc)), ==,
	                  profiles->len);
	g_ptr_array_unref (removed.removed);
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

static void
test_add_initial_eim (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusObject) object = NULL;
	g_autoptr(EimProxy) eim = NULL;
	const gchar *const *eims;

	esimd_gdbus_euicc_call_add_initial_eim_sync (euicc, bytes_variant_from_hex ("0102"), NULL,
	                                             &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	esimd_gdbus_euicc_call_add_initial_eim_sync (euicc, bytes_variant_from_hex (""), NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Eim"), ==, 0);

	esimd_gdbus_euicc_call_add_initial_eim_sync (euicc, bytes_variant_from_hex (v16_add_initial_eim),
	                                             NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	eims = esimd_gdbus_euicc_get_eims (euicc);
	g_assert_cmpuint (g_strv_length ((gchar **) eims), ==, 1);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Eim"), ==, 1);
	object = g_dbus_object_manager_get_object (om, eims[0]);
	g_assert_nonnull (object);
	eim = esimd_gdbus_object_get_eim (ESIMD_GDBUS_OBJECT (object));
	g_assert_nonnull (eim);
	g_assert_true (g_str_has_prefix (eims[0], "/org/freedesktop/Esimd1/Eim/"));
	g_assert_cmpstr (esimd_gdbus_eim_get_eim_id (eim), ==, "eIM");
	g_assert_cmpstr (esimd_gdbus_eim_get_fqdn (eim), ==, "127.0.0.1:8000");
	g_assert_cmpint (esimd_gdbus_eim_get_counter (eim), ==, 1);
	g_assert_cmpstr (esimd_gdbus_eim_get_euicc (eim), ==,
	                 g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	/* the card takes one initial eIM only */
	esimd_gdbus_euicc_call_add_initial_eim_sync (euicc, bytes_variant_from_hex (v16_add_initial_eim),
	                                             NULL, &error);
	assert_error_name (error, "CardError");
	g_clear_error (&error);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Eim"), ==, 1);
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

static void
test_corrupt_card (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *corrupt_path = esimd_test_harness_card_path (h, 1);
	const gchar corrupt[] = "[card]\nversion=1\neid=not-an-eid\n\x01\x02 garbage \xff\n";
	g_autofree gchar *after = NULL;
	g_autofree gchar *log = NULL;
	g_autofree gchar *refusal = NULL;
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(GPtrArray) euiccs = NULL;
	gsize after_len = 0;

	g_assert_true (g_file_set_contents (corrupt_path, corrupt, sizeof (corrupt) - 1, NULL));
	esimd_test_harness_start_daemon (h, 2, NULL);
	om = object_manager_new (h);
	euiccs = list_euiccs (om);
	g_assert_cmpuint (euiccs->len, ==, 1);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, 2);

	log = esimd_test_harness_read_log (h);
	refusal = g_strdup_printf ("refusing software eUICC %s: ", corrupt_path);
	g_assert_nonnull (strstr (log, refusal));

	/* also after a clean stop, the refused file is untouched */
	esimd_test_harness_stop_daemon (h);
	g_assert_true (g_file_get_contents (corrupt_path, &after, &after_len, NULL));
	g_assert_cmpmem (after, after_len, corrupt, sizeof (corrupt) - 1);
}

typedef struct {
	GPtrArray *order;
	GError    *errors[2];
} QueueResults;

static void
queued_enable_record (GObject *source, GAsyncResult *res, QueueResults *results,
                      const gchar *tag)
{
	GError *error = NULL;

	esimd_gdbus_euicc_call_enable_profile_finish (ESIMD_GDBUS_EUICC (source), res, &error);
	g_assert_cmpuint (results->order->len, <, 2);
	results->errors[results->order->len] = error;
	g_ptr_array_add (results->order, g_strdup (tag));
}

static void
queued_enable_first (GObject *source, GAsyncResult *res, gpointer user_data)
{
	queued_enable_record (source, res, user_data, "first");
}

static void
queued_enable_second (GObject *source, GAsyncResult *res, gpointer user_data)
{
	queued_enable_record (source, res, user_data, "second");
}

static gboolean
queue_finished (gpointer user_data)
{
	QueueResults *results = user_data;
	return results->order->len == 2;
}

static void
test_queue (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(EuiccProxy) euicc = first_euicc (om);
	g_autoptr(ProfileProxy) enabled = find_profile_in_state (om, "enabled");
	g_autoptr(ProfileProxy) disabled = find_profile_in_state (om, "disabled");
	g_autoptr(GPtrArray) euicc_changes = g_ptr_array_new_with_free_func (g_free);
	QueueResults results = { g_ptr_array_new_with_free_func (g_free), { NULL, NULL } };

	g_signal_connect (euicc, "g-properties-changed", G_CALLBACK (collect_changed_property),
	                  euicc_changes);
	/* switch to the disabled profile and straight back: only right in this order */
	esimd_gdbus_euicc_call_enable_profile (euicc, esimd_gdbus_profile_get_iccid (disabled),
	                                       empty_options (), NULL, queued_enable_first, &results);
	esimd_gdbus_euicc_call_enable_profile (euicc, esimd_gdbus_profile_get_iccid (enabled),
	                                       empty_options (), NULL, queued_enable_second, &results);
	esim_test_wait_until_func (WAIT_MS, queue_finished, &results,
	                           "both queued EnableProfile calls to return");
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
	drain_events ();
	g_signal_handlers_disconnect_by_data (euicc, euicc_changes);

	g_assert_no_error (results.errors[0]);
	g_assert_no_error (results.errors[1]);
	g_assert_cmpstr (g_ptr_array_index (results.order, 0), ==, "first");
	g_assert_cmpstr (g_ptr_array_index (results.order, 1), ==, "second");
	g_assert_cmpstr (esimd_gdbus_profile_get_state (enabled), ==, "enabled");
	g_assert_cmpstr (esimd_gdbus_profile_get_state (disabled), ==, "disabled");
	g_assert_true (strv_has (euicc_changes, "State=busy"));
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	g_ptr_array_unref (results.order);
}

static void
test_set_logging (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autoptr(ManagerProxy) manager = manager_proxy_new (h);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *log = NULL;

	esimd_gdbus_manager_call_set_logging_sync (manager, "loud", NULL, &error);
	assert_error_name (error, "InvalidArgs");
	g_clear_error (&error);
	esimd_gdbus_manager_call_set_logging_sync (manager, "warning", NULL, &error);
	g_assert_no_error (error);
	esimd_gdbus_manager_call_set_logging_sync (manager, "debug", NULL, &error);
	g_assert_no_error (error);
	log = esimd_test_harness_read_log (h);
	g_assert_nonnull (strstr (log, "log level set to debug"));
	g_assert_null (strstr (log, "log level set to warning"));
}

static void
test_name_taken_and_sigterm (void)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EsimdTestHarness) h = start_session (1, &om);
	g_autofree gchar *other_card = esimd_test_harness_card_path (h, 7);
	g_autofree gchar *card_arg = g_strdup_printf ("--virtual-euicc=%s", other_card);
	g_autofree gchar *config = esimd_test_harness_config_path (h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autofree gchar *err = NULL;
	gint status = -1;

	/* a second daemon cannot own the name: it says so and exits 1 */
	status = esimd_test_harness_run_daemon_sync (h, &err, "--session", card_arg, config_arg, NULL);
	g_assert_cmpint (status, ==, 1);
	g_assert_nonnull (strstr (err, "org.freedesktop.Esimd1"));

	/* SIGTERM: channels closed, exit 0 */
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
	g_clear_object (&om);
	esimd_test_harness_stop_daemon (h);
	g_assert_true (esimd_test_harness_daemon_exited (h, &status));
	g_assert_cmpint (status, ==, 0);
}

/* ---- the system bus without polkit: fail closed ---- */

static void
test_system_bus_without_polkit (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SYSTEM);
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EuiccProxy) euicc = NULL;
	g_autoptr(ProfileProxy) disabled = NULL;
	g_autoptr(ManagerProxy) manager = NULL;
	g_autoptr(GVariant) notifications = NULL;
	g_autoptr(GError) error = NULL;

	esimd_test_harness_start_daemon (h, 1, NULL);
	om = object_manager_new (h);
	manager = manager_proxy_new (h);
	euicc = first_euicc (om);
	disabled = find_profile_in_state (om, "disabled");

	/* reading is free */
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	esimd_gdbus_euicc_call_list_notifications_sync (euicc, &notifications, NULL, &error);
	g_assert_no_error (error);

	esimd_gdbus_euicc_call_enable_profile_sync (euicc, esimd_gdbus_profile_get_iccid (disabled),
	                                            empty_options (), NULL, &error);
#ifdef WITH_POLKIT
	/* nobody answers for polkit on this bus: refused */
	assert_error_name (error, "Unauthorized");
	g_clear_error (&error);
	drain_events ();
	g_assert_cmpstr (esimd_gdbus_profile_get_state (disabled), ==, "disabled");
	esimd_gdbus_manager_call_set_logging_sync (manager, "debug", NULL, &error);
	assert_error_name (error, "Unauthorized");
	g_clear_error (&error);
	esimd_gdbus_euicc_call_memory_reset_sync (euicc, empty_options (), NULL, &error);
	assert_error_name (error, "Unauthorized");
	g_clear_error (&error);
	g_assert_cmpuint (count_interfaces (om, "org.freedesktop.Esimd1.Profile"), ==, 2);
#else
	/* built without polkit: the bus policy is the only gate */
	g_assert_no_error (error);
#endif
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/daemon/version", test_version);
	g_test_add_func ("/esimd/daemon/config/bad-value", test_bad_config);
	g_test_add_func ("/esimd/daemon/config/applied", test_config_applied);
	g_test_add_func ("/esimd/daemon/tree/one-card", test_tree);
	g_test_add_func ("/esimd/daemon/tree/two-cards", test_tree_two_cards);
	g_test_add_func ("/esimd/daemon/enable-and-restart", test_enable_and_restart);
	g_test_add_func ("/esimd/daemon/profile-interface", test_profile_interface);
	g_test_add_func ("/esimd/daemon/errors", test_errors);
	g_test_add_func ("/esimd/daemon/delete-options", test_delete_options);
	g_test_add_func ("/esimd/daemon/nickname", test_nickname);
	g_test_add_func ("/esimd/daemon/notifications", test_notifications);
	g_test_add_func ("/esimd/daemon/memory-reset", test_memory_reset);
	g_test_add_func ("/esimd/daemon/add-initial-eim", test_add_initial_eim);
	g_test_add_func ("/esimd/daemon/corrupt-card", test_corrupt_card);
	g_test_add_func ("/esimd/daemon/queue", test_queue);
	g_test_add_func ("/esimd/daemon/set-logging", test_set_logging);
	g_test_add_func ("/esimd/daemon/name-taken-and-sigterm", test_name_taken_and_sigterm);
	g_test_add_func ("/esimd/daemon/system-bus-without-polkit", test_system_bus_without_polkit);
	return g_test_run ();
}
