/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esim-eim-tls-database.h"
#include "esimd-log.h"
#include "esimd-push.h"
#include "esimd-sms-wakeup.h"

struct _EsimdPush {
	GPtrArray         *euiccs;   /* the manager's, not owned */
	EsimdModemWatcher *watcher;  /* NULL: no modems */
	EsimdInjectServer *inject;   /* NULL: off */
	EsimdSmsWakeup    *sms;      /* NULL: off */
};

/* ---- where push meets the eIM flows ---- */

/* The pushed package ran (or could not): the eIM gets its answer. */
static void
push_pushed_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdInjectRequest *request = user_data;
	EsimdEuicc *euicc = ESIMD_EUICC (source);
	g_autoptr(EsimPollPushAnswer) answer = NULL;
	g_autoptr(GError) error = NULL;

	answer = esimd_euicc_run_pushed_finish (euicc, res, &error);
	if (answer == NULL) {
		esimd_obj_warn (esimd_euicc_get_log_id (euicc), "a pushed package was not run: %s",
		                error->message);
		esimd_inject_request_return_error (request, error);
		return;
	}
	esimd_inject_request_return (request, &answer->response);
}

void
esimd_push_execute_pushed (EsimdEuicc *euicc, EsimdInjectRequest *request)
{
	/* the card's queue runs it in turn with every other operation */
	esimd_euicc_run_pushed_async (euicc, esimd_inject_request_get_eim_id (request),
	                              esimd_inject_request_get_package (request), push_pushed_ready,
	                              request);
}

void
esimd_push_poll_now (EsimdEuicc *euicc)
{
	if (!esimd_euicc_has_eim (euicc, NULL)) {
		esimd_obj_info (esimd_euicc_get_log_id (euicc), "SMS wake-up: no eIM to poll");
		return;
	}
	esimd_obj_info (esimd_euicc_get_log_id (euicc), "SMS wake-up: polling every eIM");
	esimd_euicc_poll_soon (euicc, NULL);
}

/* ---- inject ---- */

static GPtrArray *
push_list_targets (gpointer user_data)
{
	EsimdPush *self = user_data;
	GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) esimd_inject_target_free);

	for (guint i = 0; i < self->euiccs->len; i++) {
		EsimdEuicc *euicc = g_ptr_array_index (self->euiccs, i);
		GPtrArray *configs = esimd_euicc_get_eim_configs (euicc);
		const gchar *eid = esimd_euicc_get_eid (euicc);

		for (guint j = 0; eid != NULL && configs != NULL && j < configs->len; j++) {
			const EsimEimConfig *config = g_ptr_array_index (configs, j);
			g_autoptr(GTlsDatabase) trust = NULL;

			if (config->eim_id == NULL)
				continue;
			/* no trustedPublicKeyDataTls: this eIM cannot push unsigned packages */
			if (config->trusted_tls != NULL)
				trust = esim_eim_tls_database_new (config->trusted_tls_kind,
				                                   config->trusted_tls, NULL, NULL);
			g_ptr_array_add (targets, esimd_inject_target_new (eid, config->eim_id, trust,
			                                                   config->fqdn));
		}
	}
	return targets;
}

static void
push_execute (EsimdInjectRequest *request, gpointer user_data)
{
	EsimdPush *self = user_data;
	const gchar *eid = esimd_inject_request_get_eid (request);
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < self->euiccs->len; i++) {
		EsimdEuicc *euicc = g_ptr_array_index (self->euiccs, i);

		if (g_strcmp0 (esimd_euicc_get_eid (euicc), eid) == 0) {
			esimd_push_execute_pushed (euicc, request);
			return;
		}
	}
	/* gone between the check and now */
	g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the eUICC is gone");
	esimd_inject_request_return_error (request, error);
}

static const EsimdInjectHandler push_inject_handler = {
	.list_targets = push_list_targets,
	.execute = push_execute,
};

/* ---- SMS wake-up ---- */

static void
push_sms_wakeup (const gchar *modem_path, gpointer user_data)
{
	EsimdPush *self = user_data;
	guint n = 0;

	for (guint i = 0; i < self->euiccs->len; i++) {
		EsimdEuicc *euicc = g_ptr_array_index (self->euiccs, i);
		const EsimdModemEuicc *modem = esimd_euicc_get_modem (euicc);

		if (modem != NULL && g_strcmp0 (modem->modem_path, modem_path) == 0) {
			esimd_push_poll_now (euicc);
			n++;
		}
	}
	if (n == 0)
		g_message ("SMS wake-up on %s: no eUICC of esimd is on this modem now", modem_path);
}

static void
push_modem_euicc_added (EsimdModemWatcher *watcher, const EsimdModemEuicc *info,
                        gpointer user_data)
{
	EsimdPush *self = user_data;

	esimd_sms_wakeup_add_modem (self->sms, info->modem_path);
}

static void
push_modem_euicc_removed (EsimdModemWatcher *watcher, const EsimdModemEuicc *info,
                          gboolean modemmanager_gone, gpointer user_data)
{
	EsimdPush *self = user_data;

	/* another slot of the same modem may still carry one of our eUICCs */
	for (guint i = 0; i < self->euiccs->len; i++) {
		const EsimdModemEuicc *modem = esimd_euicc_get_modem (g_ptr_array_index (self->euiccs, i));

		if (modem != NULL && modem->slot != info->slot &&
		    g_strcmp0 (modem->modem_path, info->modem_path) == 0)
			return;
	}
	esimd_sms_wakeup_remove_modem (self->sms, info->modem_path);
}

/* ---- the object ---- */

EsimdPush *
esimd_push_new (const EsimdConfig *config, GDBusConnection *connection, GPtrArray *euiccs,
                EsimdModemWatcher *watcher, GError **error)
{
	g_autoptr(EsimdPush) self = g_new0 (EsimdPush, 1);

	self->euiccs = euiccs;
	if (config->inject_port != 0) {
		EsimdInjectOptions options = {
			.address = config->inject_address,
			.port = (guint16) config->inject_port,
			.certificate_file = config->inject_certificate,
			.key_file = config->inject_key,
		};

		self->inject = esimd_inject_server_new (&options, &push_inject_handler, self, error);
		if (self->inject == NULL) {
			g_prefix_error (error, "[push] ");
			return NULL;
		}
	}
	if (config->sms_senders->len > 0 || config->sms_pattern != NULL) {
		g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
		g_auto(GStrv) senders = NULL;

		for (guint i = 0; i < config->sms_senders->len; i++)
			g_strv_builder_add (builder, g_ptr_array_index (config->sms_senders, i));
		senders = g_strv_builder_end (builder);
		self->sms = esimd_sms_wakeup_new (connection, (const gchar *const *) senders,
		                                  config->sms_pattern, config->sms_delete,
		                                  push_sms_wakeup, self, error);
		if (self->sms == NULL) {
			g_prefix_error (error, "[sms-wakeup] ");
			return NULL;
		}
		if (watcher == NULL)
			g_message ("SMS wake-up is configured, but esimd uses no modems");
		else {
			self->watcher = g_object_ref (watcher);
			g_signal_connect (watcher, "euicc-added", G_CALLBACK (push_modem_euicc_added),
			                  self);
			g_signal_connect (watcher, "euicc-removed",
			                  G_CALLBACK (push_modem_euicc_removed), self);
		}
	}
	return g_steal_pointer (&self);
}

void
esimd_push_free (EsimdPush *self)
{
	if (self == NULL)
		return;
	if (self->watcher != NULL) {
		g_signal_handlers_disconnect_by_data (self->watcher, self);
		g_clear_object (&self->watcher);
	}
	if (self->inject != NULL)
		esimd_inject_server_stop (self->inject);
	g_clear_object (&self->inject);
	g_clear_object (&self->sms);
	g_free (self);
}
