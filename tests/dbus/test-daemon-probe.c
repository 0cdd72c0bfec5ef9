/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real esimd and a card that refuses reads ([faults] in the software
 * eUICC's state file).  A refused read that only fills properties
 * (GetEUICCInfo2, EuiccConfiguredAddresses, ListNotification,
 * GetEimConfigurationData) leaves those properties empty, says why in the log
 * once, and the card lists and switches its profiles.  A refused EID or
 * profile list fails the probe: State "error", LastError set.
 */

#include <string.h>

#include "esimd-gdbus.h"
#include "esimd-test-harness.h"

typedef EsimdGdbusEuicc EuiccProxy;
typedef EsimdGdbusProfile ProfileProxy;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EuiccProxy, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProfileProxy, g_object_unref)

#define DEFAULT_DP "smdp.example.org"

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

	for (gsize i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2) {
		guint8 b = (guint8) ((g_ascii_xdigit_value (hex[i]) << 4) |
		                     g_ascii_xdigit_value (hex[i + 1]));
		g_byte_array_append (bytes, &b, 1);
	}
	return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes->data, bytes->len, 1);
}

/* Runs every event already queued: replies come after their PropertiesChanged. */
static void
drain_events (void)
{
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static GVariant *
empty_options (void)
{
	return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
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

static EsimdGdbusEuicc *
only_euicc (GDBusObjectManager *om)
{
	GList *objects = g_dbus_object_manager_get_objects (om);
	EsimdGdbusEuicc *found = NULL;

	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusEuicc *euicc = esimd_gdbus_object_get_euicc (ESIMD_GDBUS_OBJECT (l->data));
		if (euicc != NULL) {
			g_assert_null (found);
			found = euicc;
		}
	}
	g_list_free_full (objects, g_object_unref);
	g_assert_nonnull (found);
	return found;
}

/* The profile in @state (a new reference), NULL if none. */
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
	return found;
}

static guint
count_occurrences (const gchar *haystack, const gchar *needle)
{
	guint n = 0;

	for (const gchar *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
		n++;
	return n;
}

/* A card with something in every optional property: an eIM, a default SM-DP+
 * address and pending notifications.  Returns its state file's text. */
static gchar *
prepare_card (EsimdTestHarness *h)
{
	g_autofree gchar *path = esimd_test_harness_card_path (h, 0);
	g_autofree gchar *contents = NULL;
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EuiccProxy) euicc = NULL;
	g_autoptr(ProfileProxy) disabled = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) parts = NULL;

	esimd_test_harness_start_daemon (h, 1, NULL);
	om = object_manager_new (h);
	euicc = only_euicc (om);
	esimd_gdbus_euicc_call_add_initial_eim_sync (euicc, bytes_variant_from_hex (v16_add_initial_eim),
	                                             NULL, &error);
	g_assert_no_error (error);
	disabled = find_profile_in_state (om, "disabled");
	esimd_gdbus_profile_call_enable_sync (disabled, empty_options (), NULL, &error);
	g_assert_no_error (error);
	g_clear_object (&disabled);
	g_clear_object (&euicc);
	g_clear_object (&om);
	esimd_test_harness_stop_daemon (h);

	g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
	parts = g_strsplit (contents, "[card]\n", 2);
	g_assert_nonnull (parts[1]);
	return g_strconcat (parts[0], "[card]\ndefault-dp-address=" DEFAULT_DP "\n", parts[1], NULL);
}

static void
start_with_faults (EsimdTestHarness *h, const gchar *card, const gchar *faults)
{
	g_autofree gchar *path = esimd_test_harness_card_path (h, 0);
	g_autofree gchar *contents = g_strconcat (card, "\n[faults]\n", faults, "\n", NULL);

	g_test_message ("card with [faults] %s", faults);
	g_assert_true (g_file_set_contents (path, contents, -1, NULL));
	esimd_test_harness_start_daemon (h, 1, NULL);
}

/* ---- optional reads ---- */

typedef enum {
	LOST_INFO2 = 1 << 0,
	LOST_ADDRESSES = 1 << 1,
	LOST_NOTIFICATIONS = 1 << 2,
	LOST_EIMS = 1 << 3,
} LostProperties;

static void
assert_properties (EsimdGdbusEuicc *euicc, guint lost)
{
	if (lost & LOST_INFO2) {
		g_assert_cmpstr (esimd_gdbus_euicc_get_svn_version (euicc), ==, "");
		g_assert_cmpstr (esimd_gdbus_euicc_get_profile_version (euicc), ==, "");
		g_assert_cmpstr (esimd_gdbus_euicc_get_firmware_version (euicc), ==, "");
		g_assert_cmpint (esimd_gdbus_euicc_get_free_nv_memory (euicc), ==, -1);
	} else {
		g_assert_cmpstr (esimd_gdbus_euicc_get_svn_version (euicc), !=, "");
		g_assert_cmpint (esimd_gdbus_euicc_get_free_nv_memory (euicc), >, 0);
	}
	if (lost & LOST_ADDRESSES)
		g_assert_cmpstr (esimd_gdbus_euicc_get_default_dp_address (euicc), ==, "");
	else
		g_assert_cmpstr (esimd_gdbus_euicc_get_default_dp_address (euicc), ==, DEFAULT_DP);
	if (lost & LOST_NOTIFICATIONS)
		g_assert_cmpuint (esimd_gdbus_euicc_get_pending_notifications (euicc), ==, 0);
	else
		g_assert_cmpuint (esimd_gdbus_euicc_get_pending_notifications (euicc), >, 0);
	g_assert_cmpuint (g_strv_length ((gchar **) esimd_gdbus_euicc_get_eims (euicc)), ==,
	                  (lost & LOST_EIMS) ? 0 : 1);
}

/* The card refuses one optional read: usable, that property empty, one log line. */
static void
check_optional_refused (EsimdTestHarness *h, const gchar *card, const gchar *faults,
                        guint lost, const gchar *function)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EuiccProxy) euicc = NULL;
	g_autoptr(ProfileProxy) disabled = NULL;
	g_autoptr(ProfileProxy) enabled = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *iccid = NULL;
	g_autofree gchar *log = NULL;
	g_autofree gchar *refused = g_strdup_printf ("the eUICC refused %s (", function);

	start_with_faults (h, card, faults);
	om = object_manager_new (h);
	euicc = only_euicc (om);
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");
	g_assert_cmpuint (strlen (esimd_gdbus_euicc_get_eid (euicc)), ==, 32);
	g_assert_cmpuint (g_strv_length ((gchar **) esimd_gdbus_euicc_get_profiles (euicc)), ==, 2);
	assert_properties (euicc, lost);

	/* and it is managed as any card: the switch and the refresh after it go through */
	disabled = find_profile_in_state (om, "disabled");
	g_assert_nonnull (disabled);
	iccid = g_strdup (esimd_gdbus_profile_get_iccid (disabled));
	esimd_gdbus_euicc_call_enable_profile_sync (euicc, iccid, empty_options (), NULL, &error);
	g_assert_no_error (error);
	drain_events ();
	enabled = find_profile_in_state (om, "enabled");
	g_assert_cmpstr (esimd_gdbus_profile_get_iccid (enabled), ==, iccid);
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");
	assert_properties (euicc, lost);

	/* the reason is logged, once: later refusals go to the debug log */
	esimd_test_harness_stop_daemon (h);
	log = esimd_test_harness_read_log (h);
	g_assert_cmpuint (count_occurrences (log, refused), ==, 1);
	/* for the next case, a log of its own */
	{
		g_autofree gchar *log_path = esimd_test_harness_log_path (h);
		g_assert_true (g_file_set_contents (log_path, "", 0, NULL));
	}
}

static void
test_optional_reads (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *card = prepare_card (h);

	/* the card as prepared fills every property: what the cases below lose is theirs */
	start_with_faults (h, card, "");
	{
		g_autoptr(GDBusObjectManager) om = object_manager_new (h);
		g_autoptr(EuiccProxy) euicc = only_euicc (om);
		assert_properties (euicc, 0);
	}
	esimd_test_harness_stop_daemon (h);

	/* a status word, and an error result where the ASN.1 has none (a DER error for us) */
	check_optional_refused (h, card, "BF22=6D00", LOST_INFO2, "GetEUICCInfo2");
	check_optional_refused (h, card, "BF22=error", LOST_INFO2, "GetEUICCInfo2");
	check_optional_refused (h, card, "BF3C=6A88", LOST_ADDRESSES, "EuiccConfiguredAddresses");
	/* (no "error" here: BF3C { 80 7F } reads as a defaultDpAddress of "\x7F") */
	check_optional_refused (h, card, "BF3C=6F00", LOST_ADDRESSES, "EuiccConfiguredAddresses");
	/* an ES10 error result (ListNotification's CHOICE error arm) */
	check_optional_refused (h, card, "BF28=error", LOST_NOTIFICATIONS, "ListNotification");
	check_optional_refused (h, card, "BF55=6A88", LOST_EIMS, "GetEimConfigurationData");
	/* 6985 is first taken for a dropped channel: reopened once, then a refusal */
	check_optional_refused (h, card, "BF55=6985", LOST_EIMS, "GetEimConfigurationData");
	/* all of them at once */
	check_optional_refused (h, card, "BF22=6D00\nBF3C=6A88\nBF28=error\nBF55=6A88",
	                        LOST_INFO2 | LOST_ADDRESSES | LOST_NOTIFICATIONS | LOST_EIMS,
	                        "GetEUICCInfo2");
}

/* ---- what a card cannot work without ---- */

static void
check_required_refused (EsimdTestHarness *h, const gchar *card, const gchar *faults,
                        const gchar *function)
{
	g_autoptr(GDBusObjectManager) om = NULL;
	g_autoptr(EuiccProxy) euicc = NULL;
	g_autofree gchar *log = NULL;

	start_with_faults (h, card, faults);
	om = object_manager_new (h);
	euicc = only_euicc (om);
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "error");
	g_test_message ("LastError: %s", esimd_gdbus_euicc_get_last_error (euicc));
	g_assert_nonnull (strstr (esimd_gdbus_euicc_get_last_error (euicc), function));
	g_assert_null (find_profile_in_state (om, "enabled"));
	esimd_test_harness_stop_daemon (h);
	log = esimd_test_harness_read_log (h);
	g_assert_nonnull (strstr (log, "probe failed: "));
}

static void
test_required_reads (void)
{
	g_autoptr(EsimdTestHarness) h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	g_autofree gchar *card = prepare_card (h);

	check_required_refused (h, card, "BF3E=6D00", "GetEID");
	check_required_refused (h, card, "BF3E=error", "GetEID");
	check_required_refused (h, card, "BF2D=6A88", "GetProfilesInfo");
	check_required_refused (h, card, "BF2D=error", "GetProfilesInfo");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esimd/daemon/probe/optional-reads-refused", test_optional_reads);
	g_test_add_func ("/esimd/daemon/probe/required-reads-refused", test_required_reads);

	return g_test_run ();
}
