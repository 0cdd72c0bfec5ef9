/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli euicc list | show [EID|N] | reset [EID|N] [--yes] [--keep-test-profiles] */

#include <stdio.h>

#include <glib/gi18n.h>

#include "esimcli-output.h"

static GVariant *
get_eid (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_eid (item));
}

static GVariant *
get_transport (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_transport (item));
}

static GVariant *
get_state (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_state (item));
}

static GVariant *
get_profiles (EsimcliCli *cli, gpointer item)
{
	const gchar *const *profiles = esimd_gdbus_euicc_get_profiles (item);
	return profiles != NULL ? g_variant_new_uint32 (g_strv_length ((gchar **) profiles)) : NULL;
}

static GVariant *
get_enabled (EsimcliCli *cli, gpointer item)
{
	const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (item));
	g_autolist(EsimdGdbusProfile) profiles = esimcli_list_profiles (cli, path);

	for (GList *l = profiles; l != NULL; l = l->next) {
		if (g_strcmp0 (esimd_gdbus_profile_get_state (l->data), "enabled") == 0)
			return esimcli_string_value (esimd_gdbus_profile_get_iccid (l->data));
	}
	return NULL;
}

static GVariant *
get_notifications (EsimcliCli *cli, gpointer item)
{
	return g_variant_new_uint32 (esimd_gdbus_euicc_get_pending_notifications (item));
}

static GVariant *
get_eims (EsimcliCli *cli, gpointer item)
{
	const gchar *const *eims = esimd_gdbus_euicc_get_eims (item);
	return eims != NULL ? g_variant_new_uint32 (g_strv_length ((gchar **) eims)) : NULL;
}

static GVariant *
get_svn (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_svn_version (item));
}

static GVariant *
get_profile_version (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_profile_version (item));
}

static GVariant *
get_firmware (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_firmware_version (item));
}

static GVariant *
get_free_nvm (EsimcliCli *cli, gpointer item)
{
	gint64 free_nvm = esimd_gdbus_euicc_get_free_nv_memory (item);
	return free_nvm >= 0 ? g_variant_new_int64 (free_nvm) : NULL;
}

static GVariant *
get_default_dp (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_default_dp_address (item));
}

static const gchar *
modem_path_of (gpointer item)
{
	const gchar *modem = esimd_gdbus_euicc_get_modem (item);
	return modem != NULL && g_strcmp0 (modem, "/") != 0 ? modem : NULL;
}

/* ModemManager's modem index (the N of .../Modem/N), as mmcli -m takes it */
static GVariant *
get_modem (EsimcliCli *cli, gpointer item)
{
	guint index = esimcli_path_index (modem_path_of (item));
	return index != G_MAXUINT ? g_variant_new_uint32 (index) : NULL;
}

static GVariant *
get_modem_path (EsimcliCli *cli, gpointer item)
{
	const gchar *modem = modem_path_of (item);
	return modem != NULL ? g_variant_new_object_path (modem) : NULL;
}

static GVariant *
get_model (EsimcliCli *cli, gpointer item)
{
	const gchar *model = esimd_gdbus_euicc_get_modem_model (item);
	return model != NULL && model[0] != '\0' ? g_variant_new_string (model) : NULL;
}

static GVariant *
get_slot (EsimcliCli *cli, gpointer item)
{
	guint slot = esimd_gdbus_euicc_get_slot (item);
	return slot > 0 ? g_variant_new_uint32 (slot) : NULL;
}

static GVariant *
get_last_error (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_euicc_get_last_error (item));
}

static GVariant *
get_last_poll (EsimcliCli *cli, gpointer item)
{
	return esimcli_unix_time_value (esimd_gdbus_euicc_get_last_poll (item));
}

static GVariant *
get_next_poll (EsimcliCli *cli, gpointer item)
{
	return esimcli_unix_time_value (esimd_gdbus_euicc_get_next_poll (item));
}

static const EsimcliField euicc_fields[] = {
	{ "INDEX", esimcli_field_index, FALSE },
	{ "EID", get_eid, FALSE },
	{ "TRANSPORT", get_transport, FALSE },
	{ "STATE", get_state, FALSE },
	{ "PROFILES", get_profiles, FALSE },
	{ "ENABLED", get_enabled, FALSE },
	{ "NOTIFICATIONS", get_notifications, FALSE },
	{ "EIMS", get_eims, FALSE },
	{ "SVN", get_svn, FALSE },
	{ "PROFILE-VERSION", get_profile_version, FALSE },
	{ "FIRMWARE", get_firmware, FALSE },
	{ "FREE-NVM", get_free_nvm, FALSE },
	{ "DEFAULT-DP", get_default_dp, FALSE },
	{ "MODEM", get_modem, FALSE },
	{ "MODEL", get_model, FALSE },
	{ "SLOT", get_slot, FALSE },
	{ "MODEM-PATH", get_modem_path, FALSE },
	{ "LAST-ERROR", get_last_error, FALSE },
	{ "LAST-POLL", get_last_poll, FALSE },
	{ "NEXT-POLL", get_next_poll, FALSE },
	{ "PATH", esimcli_field_path, FALSE },
	{ NULL, NULL, FALSE },
};

const EsimcliFieldTable esimcli_euicc_table = {
	"euicc", euicc_fields,
	"INDEX,EID,TRANSPORT,MODEM,MODEL,SLOT,STATE,PROFILES,NOTIFICATIONS",
};

gboolean
esimcli_euicc_list (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_euicc_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;

	euiccs = esimcli_list_euiccs (cli);
	for (GList *l = euiccs; l != NULL; l = l->next)
		esimcli_output_add (output, l->data);
	esimcli_output_print_list (output);
	return TRUE;
}

/* The eUICC named by the positional argument or --euicc (not both), else the only one. */
static EsimdGdbusEuicc *
euicc_from_args (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	const gchar *spec = args->euicc;

	if (args->positional->len > 0) {
		if (spec != NULL) {
			esimcli_usage_error (error, _("name the eUICC either as argument or with "
						      "--euicc, not both"));
			return NULL;
		}
		spec = g_ptr_array_index (args->positional, 0);
	}
	return esimcli_pick_euicc (cli, spec, error);
}

gboolean
esimcli_euicc_show (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;

	if (!esimcli_expect_args (args, 0, 1, NULL, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_euicc_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;

	euicc = euicc_from_args (cli, args, error);
	if (euicc == NULL)
		return FALSE;
	esimcli_output_add (output, euicc);
	esimcli_output_print_show (output);
	return TRUE;
}

static gboolean
confirm_reset (EsimcliCli *cli, EsimdGdbusEuicc *euicc, EsimcliArgs *args, GError **error)
{
	const gchar *eid = esimd_gdbus_euicc_get_eid (euicc);
	gchar answer[64] = { 0 };

	if (args->keep_test_profiles)
		g_print (_("This deletes every operational profile on eUICC %s.\n"), eid);
	else
		g_print (_("This deletes every operational and field-loaded test profile on eUICC "
			   "%s.\n"), eid);
	g_print ("%s ", _("Continue? [y/N]"));
	fflush (stdout);
	if (fgets (answer, sizeof (answer), stdin) == NULL)
		answer[0] = '\0';
	g_strstrip (answer);
	if (g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0 ||
	    g_strcmp0 (answer, _("y")) == 0)
		return TRUE;
	g_set_error_literal (error, ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR, _("reset cancelled"));
	return FALSE;
}

gboolean
esimcli_euicc_reset (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	const gchar *eid;

	if (!esimcli_expect_args (args, 0, 1, NULL, error))
		return FALSE;
	/* decided before contacting the daemon: a script must never hang on a prompt */
	if (!args->yes && !esimcli_stdin_is_tty ())
		return esimcli_usage_error (error, _("refusing to reset the eUICC without "
						     "confirmation: not on a terminal, use --yes"));
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	euicc = euicc_from_args (cli, args, error);
	if (euicc == NULL)
		return FALSE;
	if (!args->yes && !confirm_reset (cli, euicc, args, error))
		return FALSE;

	/* an empty dictionary is the daemon's default: operational + test profiles + SM-DP+ */
	if (args->keep_test_profiles) {
		g_variant_builder_add (options, "{sv}", "delete-operational-profiles",
				       g_variant_new_boolean (TRUE));
		g_variant_builder_add (options, "{sv}", "reset-default-smdp-address",
				       g_variant_new_boolean (TRUE));
	}
	eid = esimd_gdbus_euicc_get_eid (euicc);
	if (!esimd_gdbus_euicc_call_memory_reset_sync (euicc, g_variant_builder_end (options),
							NULL, error))
		return esimcli_convert_error (error, _("cannot reset eUICC %s"), eid);
	esimcli_print_done (cli, _("eUICC %s reset."), eid);
	return TRUE;
}
