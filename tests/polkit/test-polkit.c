/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * polkit gating of esimd's mutating methods, end to end: the real esimd on a
 * private bus standing in for the system bus, python3-dbusmock's polkitd
 * template answering allow/deny, and the real esimcli.
 */

#include <string.h>

#include <gio/gio.h>

#include "esimd-test-harness.h"

#define ACTION_MANAGE_PROFILES "org.freedesktop.Esimd1.manage-profiles"
#define ACTION_CONFIGURE_EIM   "org.freedesktop.Esimd1.configure-eim"
#define ACTION_RESET           "org.freedesktop.Esimd1.reset"
#define ACTION_SET_LOGGING     "org.freedesktop.Esimd1.set-logging"
#define ACTION_DOWNLOAD        "org.freedesktop.Esimd1.download"
#define IFACE_MANAGER          "org.freedesktop.Esimd1"
#define IFACE_EUICC            "org.freedesktop.Esimd1.Euicc"
#define IFACE_PROFILE          "org.freedesktop.Esimd1.Profile"
#define ERROR_UNAUTHORIZED     "org.freedesktop.Esimd1.Error.Unauthorized"
#define CALL_TIMEOUT_MS        10000

typedef struct {
	gchar *path;
	gchar *iccid;
	gchar *state;
	gchar *klass;
	gchar *nickname;
} TestProfile;

static void
test_profile_free (TestProfile *profile)
{
	g_free (profile->path);
	g_free (profile->iccid);
	g_free (profile->state);
	g_free (profile->klass);
	g_free (profile->nickname);
	g_free (profile);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestProfile, test_profile_free)

/* What the daemon publishes, read afresh with GetManagedObjects. */
typedef struct {
	gchar     *euicc_path;
	gchar     *last_error; /* LastError of the (last) eUICC */
	guint      n_euiccs;
	GPtrArray *profiles; /* of TestProfile, sorted by ICCID */
} TestTree;

static void
test_tree_free (TestTree *tree)
{
	g_free (tree->euicc_path);
	g_free (tree->last_error);
	g_ptr_array_unref (tree->profiles);
	g_free (tree);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTree, test_tree_free)

static gchar *
dup_string_property (GVariant *props, const gchar *name)
{
	const gchar *value = NULL;

	if (!g_variant_lookup (props, name, "&s", &value))
		return NULL;
	return g_strdup (value);
}

static gint
compare_profiles (gconstpointer a, gconstpointer b)
{
	const TestProfile *pa = *(const TestProfile *const *) a;
	const TestProfile *pb = *(const TestProfile *const *) b;

	return g_strcmp0 (pa->iccid, pb->iccid);
}

static TestTree *
read_tree (EsimdTestHarness *h)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(TestTree) tree = g_new0 (TestTree, 1);
	GVariantIter iter;
	const gchar *path;
	GVariant *ifaces;

	reply = g_dbus_connection_call_sync (esimd_test_harness_get_connection (h),
	                                     ESIMD_TEST_BUS_NAME, ESIMD_TEST_ROOT_PATH,
	                                     "org.freedesktop.DBus.ObjectManager",
	                                     "GetManagedObjects", NULL,
	                                     G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
	                                     G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
	g_assert_no_error (error);
	tree->profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) test_profile_free);
	objects = g_variant_get_child_value (reply, 0);
	g_variant_iter_init (&iter, objects);
	while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) euicc = g_variant_lookup_value (ifaces, IFACE_EUICC, NULL);
		g_autoptr(GVariant) props = g_variant_lookup_value (ifaces, IFACE_PROFILE, NULL);

		if (euicc != NULL) {
			tree->n_euiccs++;
			g_free (tree->euicc_path);
			tree->euicc_path = g_strdup (path);
			g_free (tree->last_error);
			tree->last_error = dup_string_property (euicc, "LastError");
			g_assert_nonnull (tree->last_error);
		}
		if (props != NULL) {
			TestProfile *profile = g_new0 (TestProfile, 1);

			profile->path = g_strdup (path);
			profile->iccid = dup_string_property (props, "Iccid");
			profile->state = dup_string_property (props, "State");
			profile->klass = dup_string_property (props, "Class");
			profile->nickname = dup_string_property (props, "Nickname");
			g_assert_nonnull (profile->iccid);
			g_assert_nonnull (profile->state);
			g_ptr_array_add (tree->profiles, profile);
		}
		g_variant_unref (ifaces);
	}
	g_ptr_array_sort (tree->profiles, compare_profiles);
	return g_steal_pointer (&tree);
}

/* The first profile in @state; the test fails when there is none. */
static TestProfile *
find_profile (TestTree *tree, const gchar *state)
{
	TestProfile *found = NULL;

	for (guint i = 0; i < tree->profiles->len && found == NULL; i++) {
		TestProfile *profile = g_ptr_array_index (tree->profiles, i);

		if (g_strcmp0 (profile->state, state) == 0)
			found = profile;
	}
	if (found == NULL)
		g_test_message ("no %s profile among %u", state, tree->profiles->len);
	g_assert (found != NULL);
	return found;
}

/* "ICCID=state ICCID=state …": one string to compare whole trees with. */
static gchar *
describe_profiles (TestTree *tree)
{
	g_autoptr(GString) str = g_string_new (NULL);

	for (guint i = 0; i < tree->profiles->len; i++) {
		TestProfile *profile = g_ptr_array_index (tree->profiles, i);

		g_string_append_printf (str, "%s%s=%s/%s", i > 0 ? " " : "", profile->iccid,
		                        profile->state, profile->nickname != NULL ? profile->nickname : "");
	}
	return g_string_free (g_steal_pointer (&str), FALSE);
}

static GVariant *
call (EsimdTestHarness *h,
      const gchar *path,
      const gchar *iface,
      const gchar *method,
      GVariant *params,
      GError **error)
{
	return g_dbus_connection_call_sync (esimd_test_harness_get_connection (h),
	                                    ESIMD_TEST_BUS_NAME, path, iface, method, params, NULL,
	                                    G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

static void
assert_call_unauthorized (EsimdTestHarness *h,
                          const gchar *path,
                          const gchar *iface,
                          const gchar *method,
                          GVariant *params)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = call (h, path, iface, method, params, &error);
	g_autofree gchar *remote = NULL;

	g_assert_null (reply);
	g_assert_nonnull (error);
	remote = g_dbus_error_get_remote_error (error);
	g_test_message ("%s.%s: %s: %s", iface, method, remote, error->message);
	g_assert_cmpstr (remote, ==, ERROR_UNAUTHORIZED);
}

static void
assert_call_ok (EsimdTestHarness *h,
                const gchar *path,
                const gchar *iface,
                const gchar *method,
                GVariant *params)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = call (h, path, iface, method, params, &error);

	g_assert_no_error (error);
	g_assert_nonnull (reply);
}

static GVariant *
empty_options (void)
{
	return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

/* Starts the mock polkitd allowing @allowed, then esimd with one software
 * eUICC; NULL when python3-dbusmock is missing (the test is then skipped). */
static EsimdTestHarness *
start_harness (const gchar *const *allowed)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SYSTEM);

	if (!esimd_test_harness_start_polkit (h, allowed)) {
		g_test_skip ("python3-dbusmock is not importable");
		return NULL;
	}
	esimd_test_harness_start_daemon (h, 1, NULL);
	return g_steal_pointer (&h);
}

static void
test_polkit_manage_profiles_allowed (void)
{
	const gchar *allowed[] = { ACTION_MANAGE_PROFILES, NULL };
	g_autoptr(EsimdTestHarness) h = start_harness (allowed);
	g_autoptr(TestTree) before = NULL;
	g_autoptr(TestTree) after = NULL;
	g_autoptr(TestTree) renamed = NULL;
	g_autofree gchar *enabled_iccid = NULL;
	g_autofree gchar *disabled_iccid = NULL;
	g_autofree gchar *disabled_path = NULL;

	if (h == NULL)
		return;
	before = read_tree (h);
	g_assert_cmpuint (before->n_euiccs, ==, 1);
	enabled_iccid = g_strdup (find_profile (before, "enabled")->iccid);
	disabled_iccid = g_strdup (find_profile (before, "disabled")->iccid);
	disabled_path = g_strdup (find_profile (before, "disabled")->path);

	/* sending notifications is managing them (none pending yet: nothing goes out) */
	assert_call_ok (h, before->euicc_path, IFACE_EUICC, "ProcessNotifications", NULL);
	assert_call_ok (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                g_variant_new ("(s@a{sv})", disabled_iccid, empty_options ()));
	after = read_tree (h);
	g_assert_cmpstr (find_profile (after, "enabled")->iccid, ==, disabled_iccid);
	g_assert_cmpstr (find_profile (after, "disabled")->iccid, ==, enabled_iccid);

	/* the Profile interface is gated by the same action */
	assert_call_ok (h, disabled_path, IFACE_PROFILE, "SetNickname",
	                g_variant_new ("(s)", "polkit test"));
	renamed = read_tree (h);
	g_assert_cmpstr (find_profile (renamed, "enabled")->nickname, ==, "polkit test");

	/* other actions stay denied */
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "MemoryReset",
	                          g_variant_new ("(@a{sv})", empty_options ()));
	assert_call_unauthorized (h, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "SetLogging",
	                          g_variant_new ("(s)", "debug"));
}

static void
test_polkit_nothing_allowed (void)
{
	g_autoptr(EsimdTestHarness) h = start_harness (NULL);
	g_autoptr(TestTree) before = NULL;
	g_autoptr(TestTree) after = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GVariant) notifications = NULL;
	g_autofree gchar *before_str = NULL;
	g_autofree gchar *after_str = NULL;
	g_autofree gchar *eid = NULL;
	const guint8 eim_config[] = { 0x30, 0x00 };
	TestProfile *disabled;
	TestProfile *enabled;

	if (h == NULL)
		return;
	before = read_tree (h);
	before_str = describe_profiles (before);
	disabled = find_profile (before, "disabled");
	enabled = find_profile (before, "enabled");

	/* every mutating method is refused, whatever its arguments */
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                          g_variant_new ("(s@a{sv})", disabled->iccid, empty_options ()));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "DisableProfile",
	                          g_variant_new ("(s@a{sv})", enabled->iccid, empty_options ()));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "DeleteProfile",
	                          g_variant_new ("(s@a{sv})", disabled->iccid, empty_options ()));
	/* polkit first: a malformed code tells an unauthorised caller nothing */
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "DownloadProfile",
	                          g_variant_new ("(s@a{sv})", "not an activation code",
	                                         empty_options ()));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "DownloadProfile",
	                          g_variant_new ("(s@a{sv})", "LPA:1$smdp.invalid$MID",
	                                         empty_options ()));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "SetNickname",
	                          g_variant_new ("(ss)", disabled->iccid, "denied"));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "RemoveNotification",
	                          g_variant_new ("(t)", (guint64) 1));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "ProcessNotifications", NULL);
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "MemoryReset",
	                          g_variant_new ("(@a{sv})", empty_options ()));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "AddInitialEim",
	                          g_variant_new ("(@ay)",
	                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                                                                    eim_config,
	                                                                    sizeof (eim_config), 1)));
	assert_call_unauthorized (h, disabled->path, IFACE_PROFILE, "Enable",
	                          g_variant_new ("(@a{sv})", empty_options ()));
	assert_call_unauthorized (h, enabled->path, IFACE_PROFILE, "Disable",
	                          g_variant_new ("(@a{sv})", empty_options ()));
	assert_call_unauthorized (h, disabled->path, IFACE_PROFILE, "Delete",
	                          g_variant_new ("(@a{sv})", empty_options ()));
	assert_call_unauthorized (h, disabled->path, IFACE_PROFILE, "SetNickname",
	                          g_variant_new ("(s)", "denied"));
	assert_call_unauthorized (h, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "SetLogging",
	                          g_variant_new ("(s)", "debug"));

	/* nothing changed on the card, and no refusal was published in LastError */
	after = read_tree (h);
	after_str = describe_profiles (after);
	g_assert_cmpstr (after_str, ==, before_str);
	g_assert_cmpstr (after->last_error, ==, "");

	/* reading is free: properties and notifications */
	reply = call (h, before->euicc_path, "org.freedesktop.DBus.Properties", "GetAll",
	              g_variant_new ("(s)", IFACE_EUICC), &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(@a{sv})", &props);
	g_assert_true (g_variant_lookup (props, "Eid", "s", &eid));
	g_assert_cmpuint (strlen (eid), ==, 32);
	notifications = call (h, before->euicc_path, IFACE_EUICC, "ListNotifications", NULL, &error);
	g_assert_no_error (error);
	g_assert_true (g_variant_is_of_type (notifications, G_VARIANT_TYPE ("(aa{sv})")));

	/* denials are not remembered: allowing the action later lets the call through */
	esimd_test_harness_polkit_set_allowed (h, (const gchar *const[]) { ACTION_MANAGE_PROFILES,
	                                                                    NULL });
	assert_call_ok (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                g_variant_new ("(s@a{sv})", disabled->iccid, empty_options ()));
	g_clear_pointer (&after, test_tree_free);
	after = read_tree (h);
	g_assert_cmpstr (find_profile (after, "enabled")->iccid, ==, disabled->iccid);
	g_assert_false (esimd_test_harness_daemon_exited (h, NULL));
}

static guint
count_class (TestTree *tree, const gchar *klass)
{
	guint n = 0;

	for (guint i = 0; i < tree->profiles->len; i++) {
		TestProfile *profile = g_ptr_array_index (tree->profiles, i);

		if (g_strcmp0 (profile->klass, klass) == 0)
			n++;
	}
	return n;
}

static void
test_polkit_reset_only (void)
{
	const gchar *allowed[] = { ACTION_RESET, NULL };
	g_autoptr(EsimdTestHarness) h = start_harness (allowed);
	g_autoptr(TestTree) before = NULL;
	g_autoptr(TestTree) denied = NULL;
	g_autoptr(TestTree) after = NULL;
	g_autofree gchar *before_str = NULL;
	g_autofree gchar *denied_str = NULL;

	if (h == NULL)
		return;
	before = read_tree (h);
	before_str = describe_profiles (before);
	g_assert_cmpuint (count_class (before, "operational"), >, 0);

	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                          g_variant_new ("(s@a{sv})", find_profile (before, "disabled")->iccid,
	                                         empty_options ()));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "AddInitialEim",
	                          g_variant_new ("(@ay)",
	                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                                                                    "\x30\x00", 2, 1)));
	denied = read_tree (h);
	denied_str = describe_profiles (denied);
	g_assert_cmpstr (denied_str, ==, before_str);

	/* the default reset deletes operational and field-loaded test profiles */
	assert_call_ok (h, before->euicc_path, IFACE_EUICC, "MemoryReset",
	                g_variant_new ("(@a{sv})", empty_options ()));
	after = read_tree (h);
	g_assert_cmpuint (after->n_euiccs, ==, 1);
	g_assert_cmpuint (count_class (after, "operational"), ==, 0);
	g_assert_cmpuint (after->profiles->len, <, before->profiles->len);
}

/* The installed esimd.conf with every documented key uncommented must be a
 * configuration esimd accepts as it is, without warnings about its keys. */
static gchar *
uncommented_default_config (void)
{
	const gchar *datadir = g_getenv ("ESIMD_DATADIR");
	g_autofree gchar *path = NULL;
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GRegex) regex = NULL;

	g_assert_nonnull (datadir);
	path = g_build_filename (datadir, "esimd.conf", NULL);
	g_file_get_contents (path, &contents, NULL, &error);
	g_assert_no_error (error);
	regex = g_regex_new ("^#([A-Za-z]+=)", G_REGEX_MULTILINE, 0, &error);
	g_assert_no_error (error);
	return g_regex_replace (regex, contents, -1, 0, "\\1", 0, &error);
}

/* org.freedesktop.Esimd1.download alone: DownloadProfile gets past polkit (and its
 * malformed code is then refused naming the field), nothing else does. */
static void
test_polkit_download_only (void)
{
	const gchar *allowed[] = { ACTION_DOWNLOAD, NULL };
	g_autoptr(EsimdTestHarness) h = start_harness (allowed);
	g_autoptr(TestTree) before = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *remote = NULL;

	if (h == NULL)
		return;
	before = read_tree (h);
	reply = call (h, before->euicc_path, IFACE_EUICC, "DownloadProfile",
	              g_variant_new ("(s@a{sv})", "LPA:1$smdp example$MID", empty_options ()),
	              &error);
	g_assert_null (reply);
	remote = g_dbus_error_get_remote_error (error);
	g_assert_cmpstr (remote, ==, "org.freedesktop.Esimd1.Error.InvalidArgs");
	g_assert_nonnull (strstr (error->message, "SM-DP+ address"));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                          g_variant_new ("(s@a{sv})", find_profile (before, "disabled")->iccid,
	                                         empty_options ()));
}

static void
test_polkit_default_config (void)
{
	const gchar *allowed[] = { ACTION_MANAGE_PROFILES, ACTION_SET_LOGGING, NULL };
	const gchar *keys[] = { "LogLevel", "LogPersonalInfo", "StoreDataSegmentSize",
		                "RefreshOnSwitch", "Files", "TestCiDirectory", "RequestTimeout",
		                NULL };
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SYSTEM);
	g_autoptr(GError) error = NULL;
	g_autoptr(TestTree) before = NULL;
	g_autoptr(TestTree) after = NULL;
	g_autofree gchar *config = uncommented_default_config ();
	g_autofree gchar *config_path = esimd_test_harness_config_path (h);
	g_autofree gchar *log = NULL;
	g_auto(GStrv) lines = NULL;

	g_assert_nonnull (strstr (config, "\nLogLevel=info\n"));
	g_file_set_contents (config_path, config, -1, &error);
	g_assert_no_error (error);
	if (!esimd_test_harness_start_polkit (h, allowed)) {
		g_test_skip ("python3-dbusmock is not importable");
		return;
	}
	esimd_test_harness_start_daemon (h, 1, NULL);

	before = read_tree (h);
	g_assert_cmpuint (before->n_euiccs, ==, 1);
	assert_call_ok (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                g_variant_new ("(s@a{sv})", find_profile (before, "disabled")->iccid,
	                               empty_options ()));
	after = read_tree (h);
	g_assert_cmpstr (find_profile (after, "enabled")->iccid, ==,
	                 find_profile (before, "disabled")->iccid);
	assert_call_ok (h, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "SetLogging",
	                g_variant_new ("(s)", "info"));

	log = esimd_test_harness_read_log (h);
	lines = g_strsplit (log != NULL ? log : "", "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (strstr (lines[i], "nknown") == NULL)
			continue;
		for (guint j = 0; keys[j] != NULL; j++) {
			if (strstr (lines[i], keys[j]) != NULL)
				g_test_message ("esimd does not know a documented key: %s", lines[i]);
			g_assert_null (strstr (lines[i], keys[j]));
		}
	}
}

/* SetLogging has an action of its own: configuring the eIM does not allow it, and
 * allowing it allows nothing else. */
static void
test_polkit_set_logging (void)
{
	const gchar *allowed[] = { ACTION_CONFIGURE_EIM, ACTION_MANAGE_PROFILES, ACTION_RESET, NULL };
	g_autoptr(EsimdTestHarness) h = start_harness (allowed);
	g_autoptr(TestTree) tree = NULL;

	if (h == NULL)
		return;
	assert_call_unauthorized (h, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "SetLogging",
	                          g_variant_new ("(s)", "debug"));

	esimd_test_harness_polkit_set_allowed (h, (const gchar *const[]) { ACTION_SET_LOGGING,
	                                                                    NULL });
	assert_call_ok (h, ESIMD_TEST_ROOT_PATH, IFACE_MANAGER, "SetLogging",
	                g_variant_new ("(s)", "debug"));
	tree = read_tree (h);
	assert_call_unauthorized (h, tree->euicc_path, IFACE_EUICC, "EnableProfile",
	                          g_variant_new ("(s@a{sv})", find_profile (tree, "disabled")->iccid,
	                                         empty_options ()));
	assert_call_unauthorized (h, tree->euicc_path, IFACE_EUICC, "AddInitialEim",
	                          g_variant_new ("(@ay)",
	                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                                                                    "\x30\x00", 2, 1)));
}

/* LastError is readable by every user: it says what the card last answered, never that
 * some caller was refused. */
static void
test_polkit_denied_keeps_last_error (void)
{
	const gchar *allowed[] = { ACTION_MANAGE_PROFILES, NULL };
	g_autoptr(EsimdTestHarness) h = start_harness (allowed);
	g_autoptr(TestTree) before = NULL;
	g_autoptr(TestTree) failed = NULL;
	g_autoptr(TestTree) denied = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	if (h == NULL)
		return;
	before = read_tree (h);
	g_assert_cmpstr (before->last_error, ==, "");

	/* the card refuses to delete the enabled profile: that goes to LastError */
	reply = call (h, before->euicc_path, IFACE_EUICC, "DeleteProfile",
	              g_variant_new ("(s@a{sv})", find_profile (before, "enabled")->iccid,
	                             empty_options ()), &error);
	g_assert_null (reply);
	g_assert_nonnull (error);
	failed = read_tree (h);
	g_test_message ("LastError after the card's refusal: %s", failed->last_error);
	g_assert_cmpstr (failed->last_error, !=, "");

	/* now every caller is refused by polkit: LastError does not change */
	esimd_test_harness_polkit_set_allowed (h, NULL);
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "EnableProfile",
	                          g_variant_new ("(s@a{sv})", find_profile (before, "disabled")->iccid,
	                                         empty_options ()));
	assert_call_unauthorized (h, find_profile (before, "disabled")->path, IFACE_PROFILE,
	                          "SetNickname", g_variant_new ("(s)", "denied"));
	assert_call_unauthorized (h, before->euicc_path, IFACE_EUICC, "MemoryReset",
	                          g_variant_new ("(@a{sv})", empty_options ()));
	denied = read_tree (h);
	g_assert_cmpstr (denied->last_error, ==, failed->last_error);
	g_assert_null (strstr (denied->last_error, "authori"));
}

static gboolean
contains_ci (const gchar *haystack, const gchar *needle)
{
	g_autofree gchar *lower = g_ascii_strdown (haystack != NULL ? haystack : "", -1);

	return strstr (lower, needle) != NULL;
}

static void
test_polkit_cli (void)
{
	g_autoptr(EsimdTestHarness) h = start_harness (NULL);
	g_autoptr(TestTree) before = NULL;
	g_autoptr(TestTree) denied = NULL;
	g_autoptr(TestTree) after = NULL;
	g_autofree gchar *before_str = NULL;
	g_autofree gchar *denied_str = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *out2 = NULL;
	g_autofree gchar *err2 = NULL;
	g_autofree gchar *iccid = NULL;
	g_auto(GStrv) err_lines = NULL;
	gint status = -1;

	if (h == NULL)
		return;
	before = read_tree (h);
	before_str = describe_profiles (before);
	iccid = g_strdup (find_profile (before, "disabled")->iccid);

	out = esimd_test_harness_run_cli (h, &status, &err, "profile", "enable", iccid, NULL);
	g_test_message ("denied esimcli: status %d, stderr: %s", status, err);
	g_assert_cmpint (status, ==, 1);
	g_assert_true (contains_ci (err, "not authorized") || contains_ci (err, "not authorised") ||
	               contains_ci (err, "unauthorized") || contains_ci (err, "unauthorised"));
	/* one line, no stack of GIO text */
	err_lines = g_strsplit (g_strstrip (err), "\n", -1);
	g_assert_cmpuint (g_strv_length (err_lines), ==, 1);
	denied = read_tree (h);
	denied_str = describe_profiles (denied);
	g_assert_cmpstr (denied_str, ==, before_str);

	/* reading through the CLI still works */
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = esimd_test_harness_run_cli (h, &status, &err, "profile", "list", NULL);
	g_assert_cmpint (status, ==, 0);
	g_assert_nonnull (out);
	g_assert_cmpstr (out, !=, "");

	esimd_test_harness_polkit_set_allowed (h, (const gchar *const[]) { ACTION_MANAGE_PROFILES,
	                                                                    NULL });
	out2 = esimd_test_harness_run_cli (h, &status, &err2, "profile", "enable", iccid, NULL);
	g_test_message ("allowed esimcli: status %d, stderr: %s", status, err2);
	g_assert_cmpint (status, ==, 0);
	after = read_tree (h);
	g_assert_cmpstr (find_profile (after, "enabled")->iccid, ==, iccid);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/polkit/manage-profiles-allowed", test_polkit_manage_profiles_allowed);
	g_test_add_func ("/esimd/polkit/nothing-allowed", test_polkit_nothing_allowed);
	g_test_add_func ("/esimd/polkit/reset-only", test_polkit_reset_only);
	g_test_add_func ("/esimd/polkit/download-only", test_polkit_download_only);
	g_test_add_func ("/esimd/polkit/default-config", test_polkit_default_config);
	g_test_add_func ("/esimd/polkit/cli", test_polkit_cli);
	g_test_add_func ("/esimd/polkit/set-logging", test_polkit_set_logging);
	g_test_add_func ("/esimd/polkit/denied-keeps-last-error",
	                 test_polkit_denied_keeps_last_error);

	return g_test_run ();
}
