/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli profile list [--euicc EID] | show | enable | disable | delete PROFILE |
 *         nickname PROFILE NAME */

#include <string.h>

#include <glib/gi18n.h>

#include "esimcli-output.h"

#define NICKNAME_MAX_BYTES 64

static GVariant *
get_iccid (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_iccid (item));
}

static GVariant *
get_state (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_state (item));
}

static GVariant *
get_name (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_name (item));
}

static GVariant *
get_provider (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_service_provider (item));
}

static GVariant *
get_nickname (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_nickname (item));
}

static GVariant *
get_class (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_class (item));
}

static GVariant *
get_aid (EsimcliCli *cli, gpointer item)
{
	return esimcli_string_value (esimd_gdbus_profile_get_aid (item));
}

static GVariant *
get_euicc (EsimcliCli *cli, gpointer item)
{
	g_autoptr(EsimdGdbusEuicc) euicc =
		esimcli_euicc_by_path (cli, esimd_gdbus_profile_get_euicc (item));
	return euicc != NULL ? esimcli_string_value (esimd_gdbus_euicc_get_eid (euicc)) : NULL;
}

static const EsimcliField profile_fields[] = {
	{ "ICCID", get_iccid, FALSE },
	{ "STATE", get_state, FALSE },
	{ "NAME", get_name, FALSE },
	{ "PROVIDER", get_provider, FALSE },
	{ "NICKNAME", get_nickname, FALSE },
	{ "CLASS", get_class, FALSE },
	{ "AID", get_aid, FALSE },
	{ "EUICC", get_euicc, FALSE },
	{ "INDEX", esimcli_field_index, FALSE },
	{ "PATH", esimcli_field_path, FALSE },
	{ NULL, NULL, FALSE },
};

const EsimcliFieldTable esimcli_profile_table = {
	"profile", profile_fields, "ICCID,STATE,NAME,PROVIDER,NICKNAME,CLASS",
};

/* "eUICC 1 (EID 8904…, Quectel EG25)": the index, and what else tells the eUICC apart. */
static gchar *
describe_euicc (EsimdGdbusEuicc *euicc)
{
	const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc));
	const gchar *eid = esimd_gdbus_euicc_get_eid (euicc);
	const gchar *model = esimd_gdbus_euicc_get_modem_model (euicc);
	g_autoptr(GString) details = g_string_new (NULL);
	g_autofree gchar *shown = NULL;

	if (eid != NULL && *eid != '\0')
		/* TRANSLATORS: part of the description of an eUICC, e.g. "EID 8904…" */
		g_string_append_printf (details, _("EID %s"), eid);
	if (model != NULL && *model != '\0')
		g_string_append_printf (details, "%s%s", details->len > 0 ? ", " : "", model);
	if (details->len == 0)
		g_string_append (details, esimd_gdbus_euicc_get_transport (euicc) ?: "");
	shown = esimcli_sanitize (details->str);
	/* TRANSLATORS: an eUICC: its index and, in parentheses, its EID or modem */
	return g_strdup_printf (_("eUICC %u (%s)"), esimcli_path_index (path), shown);
}

/* One error line for each eUICC of @euiccs whose profiles esimd cannot vouch for: State
 * "error" (the card failed) or "absent" (the card is gone; its profiles are what it last
 * held); TRUE if there was one. */
static gboolean
report_euiccs_in_error (EsimcliCli *cli, GList *euiccs)
{
	gboolean any = FALSE;

	for (GList *l = euiccs; l != NULL; l = l->next) {
		EsimdGdbusEuicc *euicc = l->data;
		const gchar *reason = esimd_gdbus_euicc_get_last_error (euicc);
		g_autofree gchar *described = NULL;
		g_autofree gchar *shown = NULL;
		g_autoptr(GError) error = NULL;

		const gchar *state = esimd_gdbus_euicc_get_state (euicc);

		if (g_strcmp0 (state, "error") != 0 && g_strcmp0 (state, "absent") != 0)
			continue;
		any = TRUE;
		described = describe_euicc (euicc);
		if (g_strcmp0 (state, "absent") == 0) {
			error = g_error_new (ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR,
					     _("%s is absent: its profiles are shown as it last held them"),
					     described);
			esimcli_print_error (cli, error);
			continue;
		}
		shown = esimcli_sanitize (reason != NULL && *reason != '\0' ? reason :
					  _("esimd gives no reason"));
		error = g_error_new (ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR, _("%s is in error: %s"),
				     described, shown);
		esimcli_print_error (cli, error);
	}
	return any;
}

/* The profiles esimd shows; an eUICC in error makes the list incomplete, which is said on
 * stderr, one line per eUICC, with exit status 1 (never an empty table and status 0). */
gboolean
esimcli_profile_list (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autolist(EsimdGdbusProfile) profiles = NULL;
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;
	const gchar *euicc_path = NULL;
	gboolean in_error;

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_profile_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;

	if (args->euicc != NULL) {
		euicc = esimcli_find_euicc (cli, args->euicc, error);
		if (euicc == NULL)
			return FALSE;
		euicc_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc));
	}
	euiccs = esimcli_list_euiccs (cli);
	if (euicc_path == NULL && g_list_length (euiccs) > 1) {
		g_autofree gchar *fields =
			g_strdup_printf ("%s,EUICC", esimcli_profile_table.default_fields);
		esimcli_output_set_default_fields (output, fields);
	}
	profiles = esimcli_list_profiles (cli, euicc_path);
	for (GList *l = profiles; l != NULL; l = l->next)
		esimcli_output_add (output, l->data);
	if (euicc != NULL) {
		GList only = { euicc, NULL, NULL };
		in_error = report_euiccs_in_error (cli, &only);
	} else {
		in_error = report_euiccs_in_error (cli, euiccs);
	}
	/* nothing listed and an eUICC in error: no table that could pass for an empty one */
	if (profiles != NULL || !in_error)
		esimcli_output_print_list (output);
	if (in_error)
		cli->exit_code = ESIMCLI_EXIT_ERROR;
	return TRUE;
}

/* The profile named by the first argument (checked before contacting the daemon) and the
 * eUICC holding it. */
static gboolean
lookup_profile (EsimcliCli *cli, EsimcliArgs *args, EsimdGdbusProfile **profile_out,
		EsimdGdbusEuicc **euicc_out, GError **error)
{
	const gchar *spec = g_ptr_array_index (args->positional, 0);
	g_autoptr(EsimdGdbusProfile) profile = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;

	if (esimcli_profile_spec_kind (spec, error) == ESIMCLI_PROFILE_SPEC_INVALID)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	profile = esimcli_find_profile (cli, spec, error);
	if (profile == NULL)
		return FALSE;
	euicc = esimcli_euicc_by_path (cli, esimd_gdbus_profile_get_euicc (profile));
	if (euicc == NULL && euicc_out != NULL) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
			     _("the eUICC holding profile %s is gone"),
			     esimd_gdbus_profile_get_iccid (profile));
		return FALSE;
	}
	*profile_out = g_steal_pointer (&profile);
	if (euicc_out != NULL)
		*euicc_out = g_steal_pointer (&euicc);
	return TRUE;
}

static const gchar *const profile_arg[] = { "PROFILE", NULL };
static const gchar *const nickname_args[] = { "PROFILE", "NAME", NULL };

gboolean
esimcli_profile_show (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autoptr(EsimdGdbusProfile) profile = NULL;

	if (!esimcli_expect_args (args, 1, 1, profile_arg, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_profile_table, error);
	if (output == NULL)
		return FALSE;
	if (!lookup_profile (cli, args, &profile, NULL, error))
		return FALSE;
	esimcli_output_add (output, profile);
	esimcli_output_print_show (output);
	return TRUE;
}

typedef enum {
	PROFILE_ACTION_ENABLE,
	PROFILE_ACTION_DISABLE,
	PROFILE_ACTION_DELETE,
} ProfileAction;

static gboolean
run_profile_action (EsimcliCli *cli, EsimcliArgs *args, ProfileAction action, GError **error)
{
	g_autoptr(EsimdGdbusProfile) profile = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	const gchar *iccid;
	gboolean ok = FALSE;

	if (!esimcli_expect_args (args, 1, 1, profile_arg, error))
		return FALSE;
	if (!lookup_profile (cli, args, &profile, &euicc, error))
		return FALSE;
	/* the daemon's spelling of the ICCID, whatever named the profile */
	iccid = esimd_gdbus_profile_get_iccid (profile);

	switch (action) {
	case PROFILE_ACTION_ENABLE:
		ok = esimd_gdbus_euicc_call_enable_profile_sync (euicc, iccid,
								 g_variant_new ("a{sv}", NULL),
								 NULL, error);
		if (!ok)
			return esimcli_convert_error (error, _("cannot enable profile %s"), iccid);
		esimcli_print_done (cli, _("Profile %s enabled."), iccid);
		break;
	case PROFILE_ACTION_DISABLE:
		ok = esimd_gdbus_euicc_call_disable_profile_sync (euicc, iccid,
								  g_variant_new ("a{sv}", NULL),
								  NULL, error);
		if (!ok)
			return esimcli_convert_error (error, _("cannot disable profile %s"), iccid);
		esimcli_print_done (cli, _("Profile %s disabled."), iccid);
		break;
	case PROFILE_ACTION_DELETE:
	default:
		ok = esimd_gdbus_euicc_call_delete_profile_sync (euicc, iccid,
								 g_variant_new ("a{sv}", NULL),
								 NULL, error);
		if (!ok)
			return esimcli_convert_error (error, _("cannot delete profile %s"), iccid);
		esimcli_print_done (cli, _("Profile %s deleted."), iccid);
		break;
	}
	return TRUE;
}

gboolean
esimcli_profile_enable (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	return run_profile_action (cli, args, PROFILE_ACTION_ENABLE, error);
}

gboolean
esimcli_profile_disable (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	return run_profile_action (cli, args, PROFILE_ACTION_DISABLE, error);
}

gboolean
esimcli_profile_delete (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	return run_profile_action (cli, args, PROFILE_ACTION_DELETE, error);
}

gboolean
esimcli_profile_nickname (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimdGdbusProfile) profile = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *shown_name = NULL;
	const gchar *iccid;
	const gchar *nickname;

	if (!esimcli_expect_args (args, 2, 2, nickname_args, error))
		return FALSE;
	if (esimcli_profile_spec_kind (g_ptr_array_index (args->positional, 0), error) ==
	    ESIMCLI_PROFILE_SPEC_INVALID)
		return FALSE;
	nickname = g_ptr_array_index (args->positional, 1);
	if (!g_utf8_validate (nickname, -1, NULL))
		return esimcli_usage_error (error, _("the nickname is not valid UTF-8"));
	if (strlen (nickname) > NICKNAME_MAX_BYTES)
		return esimcli_usage_error (error, _("the nickname is longer than %u bytes"),
					    (guint) NICKNAME_MAX_BYTES);
	if (!lookup_profile (cli, args, &profile, &euicc, error))
		return FALSE;

	iccid = esimd_gdbus_profile_get_iccid (profile);
	if (!esimd_gdbus_euicc_call_set_nickname_sync (euicc, iccid, nickname, NULL, error))
		return esimcli_convert_error (error, _("cannot set the nickname of profile %s"),
					      iccid);
	shown_name = esimcli_sanitize (nickname);
	if (*nickname == '\0')
		esimcli_print_done (cli, _("Nickname of profile %s cleared."), iccid);
	else
		esimcli_print_done (cli, _("Nickname of profile %s set to '%s'."), iccid, shown_name);
	return TRUE;
}
