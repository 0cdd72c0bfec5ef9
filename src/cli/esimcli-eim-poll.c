/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli eim poll [EIM_ID] [--euicc EID]: Eim.Poll() on one eIM, or on every eIM, and
 * what each poll did. */

#include <glib/gi18n.h>

#include "esimcli-commands.h"
#include "esimcli-common.h"

/* a poll may run a download or a rollback: minutes on a slow link */
#define POLL_DEFAULT_TIMEOUT_SECONDS 900

typedef struct {
	EsimdGdbusEim *eim;
	gchar         *eid;
} PollTarget;

static void
poll_target_free (PollTarget *target)
{
	g_object_unref (target->eim);
	g_free (target->eid);
	g_free (target);
}

/* The eIMs of every eUICC (or of @euicc_path), oldest object first. */
static GPtrArray *
list_eims (EsimcliCli *cli, const gchar *euicc_path, const gchar *eim_id)
{
	GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) poll_target_free);
	GList *objects = g_dbus_object_manager_get_objects (cli->manager);

	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusEim *eim = esimd_gdbus_object_get_eim (ESIMD_GDBUS_OBJECT (l->data));
		g_autoptr(EsimdGdbusEuicc) euicc = NULL;
		PollTarget *target;

		if (eim == NULL)
			continue;
		if ((euicc_path != NULL &&
		     g_strcmp0 (esimd_gdbus_eim_get_euicc (eim), euicc_path) != 0) ||
		    (eim_id != NULL && g_strcmp0 (esimd_gdbus_eim_get_eim_id (eim), eim_id) != 0)) {
			g_object_unref (eim);
			continue;
		}
		euicc = esimcli_euicc_by_path (cli, esimd_gdbus_eim_get_euicc (eim));
		target = g_new0 (PollTarget, 1);
		target->eim = eim;
		target->eid = g_strdup (euicc != NULL ? esimd_gdbus_euicc_get_eid (euicc) : "?");
		g_ptr_array_add (targets, target);
	}
	g_list_free_full (objects, g_object_unref);
	return targets;
}

typedef struct {
	GAsyncResult *result;
} PollWait;

static void
poll_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	PollWait *wait = user_data;

	wait->result = g_object_ref (res);
}

/* One Eim.Poll(), waiting as long as the cycle takes; prints what it did. */
static gboolean
poll_one (EsimcliCli *cli, PollTarget *target, GError **error)
{
	GDBusProxy *proxy = G_DBUS_PROXY (target->eim);
	g_autofree gchar *eim_id = esimcli_sanitize (esimd_gdbus_eim_get_eim_id (target->eim));
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) result = NULL;
	PollWait wait = { NULL };
	guint32 packages = 0, results = 0, notifications = 0;
	gboolean switched = FALSE, rolled_back = FALSE, more = FALSE;
	gint timeout_ms = cli->wait_seconds < 0 ? POLL_DEFAULT_TIMEOUT_SECONDS * 1000 :
			  esimcli_timeout_msec (cli);

	g_dbus_connection_call (g_dbus_proxy_get_connection (proxy), g_dbus_proxy_get_name (proxy),
			       g_dbus_proxy_get_object_path (proxy), "org.freedesktop.Esimd1.Eim",
			       "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
			       timeout_ms, NULL, poll_done, &wait);
	while (wait.result == NULL)
		g_main_context_iteration (NULL, TRUE);
	reply = g_dbus_connection_call_finish (g_dbus_proxy_get_connection (proxy), wait.result,
					       error);
	g_object_unref (wait.result);
	if (reply == NULL)
		return esimcli_convert_error (error, _("polling eIM “%s” of eUICC %s failed"),
					      eim_id, target->eid);
	result = g_variant_get_child_value (reply, 0);
	g_variant_lookup (result, "packages", "u", &packages);
	g_variant_lookup (result, "results-delivered", "u", &results);
	g_variant_lookup (result, "notifications-delivered", "u", &notifications);
	g_variant_lookup (result, "enabled-profile-changed", "b", &switched);
	g_variant_lookup (result, "rolled-back", "b", &rolled_back);
	g_variant_lookup (result, "more", "b", &more);
	esimcli_print_done (cli, _("eIM “%s” of eUICC %s: %u package(s) executed, %u result(s) "
				   "and %u notification(s) delivered."),
			    eim_id, target->eid, packages, results, notifications);
	if (rolled_back)
		esimcli_print_done (cli, _("The new profile could not reach the eIM: the previous "
					   "profile is enabled again."));
	else if (switched)
		esimcli_print_done (cli, _("The enabled profile changed: esimd polls the eIM again "
					   "on the new profile."));
	else if (more)
		esimcli_print_done (cli, _("The eIM has more: esimd polls it again at once."));
	return TRUE;
}

static const gchar *const eim_arg[] = { "EIM_ID", NULL };

gboolean
esimcli_eim_poll (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(GPtrArray) targets = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	const gchar *eim_id = NULL;
	gboolean any_error = FALSE;

	if (!esimcli_expect_args (args, 0, 1, eim_arg, error))
		return FALSE;
	if (args->positional->len > 0)
		eim_id = g_ptr_array_index (args->positional, 0);
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	if (args->euicc != NULL) {
		euicc = esimcli_find_euicc (cli, args->euicc, error);
		if (euicc == NULL)
			return FALSE;
	}
	targets = list_eims (cli, euicc != NULL ?
			     g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)) : NULL, eim_id);
	if (targets->len == 0) {
		g_autofree gchar *shown = esimcli_sanitize (eim_id);

		if (eim_id != NULL)
			g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
				     _("no eIM “%s”"), shown);
		else
			g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
				     _("no eUICC has an eIM"));
		return FALSE;
	}
	for (guint i = 0; i < targets->len; i++) {
		g_autoptr(GError) local_error = NULL;

		if (poll_one (cli, g_ptr_array_index (targets, i), &local_error))
			continue;
		if (targets->len == 1) {
			g_propagate_error (error, g_steal_pointer (&local_error));
			return FALSE;
		}
		/* one eIM that cannot be reached does not keep the others from their poll */
		esimcli_print_error (cli, local_error);
		any_error = TRUE;
	}
	if (any_error)
		cli->exit_code = ESIMCLI_EXIT_ERROR;
	return TRUE;
}
