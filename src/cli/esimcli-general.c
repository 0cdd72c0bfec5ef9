/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli general status */

#include <glib/gi18n.h>

#include "esimcli-output.h"

typedef struct {
	gboolean running;
	gboolean modemmanager;
	gchar *version;
	guint n_euiccs;
	guint n_profiles;
	guint n_notifications;
} GeneralStatus;

static void
general_status_clear (GeneralStatus *status)
{
	g_free (status->version);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GeneralStatus, general_status_clear)

static GVariant *
get_running (EsimcliCli *cli, gpointer item)
{
	GeneralStatus *status = item;
	return g_variant_new_boolean (status->running);
}

static GVariant *
get_version (EsimcliCli *cli, gpointer item)
{
	GeneralStatus *status = item;
	return status->version != NULL ? g_variant_new_string (status->version) : NULL;
}

static GVariant *
get_euiccs (EsimcliCli *cli, gpointer item)
{
	GeneralStatus *status = item;
	return status->running ? g_variant_new_uint32 (status->n_euiccs) : NULL;
}

static GVariant *
get_profiles (EsimcliCli *cli, gpointer item)
{
	GeneralStatus *status = item;
	return status->running ? g_variant_new_uint32 (status->n_profiles) : NULL;
}

static GVariant *
get_notifications (EsimcliCli *cli, gpointer item)
{
	GeneralStatus *status = item;
	return status->running ? g_variant_new_uint32 (status->n_notifications) : NULL;
}

/* as esimd sees it: it finds modems' eUICCs only while ModemManager runs */
static GVariant *
get_modemmanager (EsimcliCli *cli, gpointer item)
{
	GeneralStatus *status = item;

	if (!status->running)
		return NULL;
	/* translated in human output only (the field is marked so) */
	return g_variant_new_string (status->modemmanager ? N_("running") : N_("not running"));
}

static const EsimcliField general_fields[] = {
	{ "RUNNING", get_running, FALSE },
	{ "VERSION", get_version, FALSE },
	{ "EUICCS", get_euiccs, FALSE },
	{ "PROFILES", get_profiles, FALSE },
	{ "NOTIFICATIONS", get_notifications, FALSE },
	{ "MODEMMANAGER", get_modemmanager, TRUE },
	{ NULL, NULL, FALSE },
};

const EsimcliFieldTable esimcli_general_table = {
	"general", general_fields, "RUNNING,VERSION,EUICCS,PROFILES,NOTIFICATIONS,MODEMMANAGER",
};

static void
collect_status (EsimcliCli *cli, GeneralStatus *status)
{
	g_autoptr(EsimdGdbusManager) manager = NULL;
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;
	g_autolist(EsimdGdbusProfile) profiles = NULL;

	status->running = esimcli_daemon_running (cli);
	if (!status->running)
		return;
	/* the root object is not one of the objects the ObjectManager reports on */
	manager = esimcli_get_manager (cli);
	if (manager != NULL) {
		status->version = esimd_gdbus_manager_dup_version (manager);
		status->modemmanager = esimd_gdbus_manager_get_modem_manager_running (manager);
	}
	euiccs = esimcli_list_euiccs (cli);
	for (GList *l = euiccs; l != NULL; l = l->next) {
		status->n_euiccs++;
		status->n_notifications += esimd_gdbus_euicc_get_pending_notifications (l->data);
	}
	profiles = esimcli_list_profiles (cli, NULL);
	status->n_profiles = g_list_length (profiles);
}

/* Prints the status even when esimd is not running (RUNNING no), then exits 8. */
gboolean
esimcli_general_status (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_auto(GeneralStatus) status = { 0 };

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_general_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, FALSE, error))
		return FALSE;

	collect_status (cli, &status);
	esimcli_output_add (output, &status);
	esimcli_output_print_show (output);
	if (!status.running)
		cli->exit_code = ESIMCLI_EXIT_NOT_RUNNING;
	return TRUE;
}
