/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The modem link of an eUICC: what ModemManager shows of it (modem path,
 * model, slot, presence), esimd's InhibitDevice on its modem, and the access
 * bracket around every operation.
 *
 * ModemManager takes a modem off the bus while it is inhibited, reset or
 * re-probed after a card reset.  Such a disappearance is expected while
 * esimd's inhibit is asked for or in force and while a switch or reset that
 * esimd runs may take the modem away; any other disappearance is a removal.
 * A modem that has not come back once esimd let go of it within SwitchTimeout
 * is lost ("modem-lost"): its eUICC is removed.
 */

#include "esimd-error.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"
#include "esimd-modem-channel.h"

/* ---- properties ---- */

static void
euicc_modem_publish (EsimdEuicc *self)
{
	g_autofree gchar *model = esimd_modem_euicc_get_model_string (self->modem);

	esimd_gdbus_euicc_set_transport (self->skeleton, self->modem->transport);
	esimd_gdbus_euicc_set_modem (self->skeleton, self->modem->modem_path);
	esimd_gdbus_euicc_set_modem_model (self->skeleton, model);
	esimd_gdbus_euicc_set_slot (self->skeleton, self->modem->slot);
	esimd_config_get_modem_policy (self->config, self->modem->manufacturer, self->modem->model,
	                               self->modem->vid, self->modem->pid, &self->policy);
}

void
esimd_euicc_set_modem (EsimdEuicc *self,
                       EsimdModemWatcher *watcher,
                       const EsimdModemEuicc *info,
                       gboolean per_access_channel)
{
	g_autofree gchar *model = NULL;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (ESIMD_IS_MODEM_WATCHER (watcher));
	g_return_if_fail (info != NULL);

	g_set_object (&self->watcher, watcher);
	esimd_modem_euicc_free (self->modem);
	self->modem = esimd_modem_euicc_copy (info);
	self->modem_present = TRUE;
	self->per_access_channel = per_access_channel;
	euicc_modem_publish (self);
	model = esimd_modem_euicc_get_model_string (info);
	esimd_obj_info (self->log_id, "%s eUICC in slot %u of %s (%s), port %s; on switch: %s"
	                "%s refresh, reset %s, timeout %u s", info->transport, info->slot,
	                info->modem_path, model, info->port,
	                self->policy.inhibit_on_switch ? "inhibit, " : "",
	                self->policy.refresh ? "with" : "without",
	                esimd_reset_after_switch_to_string (self->policy.reset_after_switch),
	                self->policy.switch_timeout_s);
}

const EsimdModemEuicc *
esimd_euicc_get_modem (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), NULL);
	return self->modem;
}

GError *
esimd_euicc_modem_removed_error (EsimdEuicc *self)
{
	return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR, "the modem was removed");
}

/* ---- presence ---- */

typedef struct {
	guint  timeout_id;
	gulong cancelled_id;
} PresenceWait;

static void
presence_wait_complete (EsimdEuicc *self, GTask *task, GError *error)
{
	PresenceWait *wait = g_task_get_task_data (task);

	self->presence_waiters = g_list_remove (self->presence_waiters, task);
	if (wait->timeout_id != 0)
		g_source_remove (wait->timeout_id);
	wait->timeout_id = 0;
	if (wait->cancelled_id != 0)
		g_cancellable_disconnect (g_task_get_cancellable (task), wait->cancelled_id);
	wait->cancelled_id = 0;
	if (error != NULL)
		g_task_return_error (task, error);
	else
		g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

static gboolean
presence_wait_timeout_cb (gpointer user_data)
{
	GTask *task = user_data;
	PresenceWait *wait = g_task_get_task_data (task);

	wait->timeout_id = 0;
	presence_wait_complete (g_task_get_source_object (task), task,
	                        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
	                                             "ModemManager did not show the modem "
	                                             "again in time"));
	return G_SOURCE_REMOVE;
}

static gboolean
presence_wait_cancelled_idle (gpointer user_data)
{
	g_autoptr(GTask) task = user_data;  /* the idle's reference; the list holds another */
	EsimdEuicc *self = g_task_get_source_object (task);

	if (g_list_find (self->presence_waiters, task) != NULL)
		presence_wait_complete (self, task,
		                        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
		                                             "cancelled"));
	return G_SOURCE_REMOVE;
}

static void
presence_wait_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
	/* completing here would disconnect from inside the handler: wait for an idle */
	g_idle_add (presence_wait_cancelled_idle, g_object_ref (user_data));
}

void
esimd_euicc_wait_present_async (EsimdEuicc *self,
                                guint timeout_ms,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	PresenceWait *wait;
	GTask *waiter;

	g_task_set_source_tag (task, esimd_euicc_wait_present_async);
	if (self->modem == NULL || self->modem_present) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	wait = g_new0 (PresenceWait, 1);
	g_task_set_task_data (task, wait, g_free);
	/* the list holds the reference until presence_wait_complete() */
	waiter = g_steal_pointer (&task);
	self->presence_waiters = g_list_prepend (self->presence_waiters, waiter);
	wait->timeout_id = g_timeout_add (timeout_ms, presence_wait_timeout_cb, waiter);
	if (cancellable != NULL)
		wait->cancelled_id = g_cancellable_connect (cancellable,
		                                            G_CALLBACK (presence_wait_cancelled_cb),
		                                            waiter, NULL);
}

gboolean
esimd_euicc_wait_present_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

void
esimd_euicc_modem_appeared (EsimdEuicc *self, const EsimdModemEuicc *info, EsimChannel *channel)
{
	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (info != NULL);
	g_return_if_fail (self->modem != NULL);

	if (!self->modem_present || g_strcmp0 (self->modem->modem_path, info->modem_path) != 0)
		esimd_obj_info (self->log_id, "ModemManager shows the eUICC at %s", info->modem_path);
	esimd_modem_euicc_free (self->modem);
	self->modem = esimd_modem_euicc_copy (info);
	self->modem_present = TRUE;
	euicc_modem_publish (self);
	if (self->lost_timeout_id != 0)
		g_source_remove (self->lost_timeout_id);
	self->lost_timeout_id = 0;
	if (channel != NULL) {
		esimd_obj_info (self->log_id, "the modem's port is now %s", info->port);
		g_set_object (&self->pending_channel, channel);
		if (self->current == NULL && !self->probing)
			esimd_euicc_apply_pending_channel (self);
	}
	while (self->presence_waiters != NULL)
		presence_wait_complete (self, self->presence_waiters->data, NULL);
	esimd_euicc_update_state (self);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

gboolean
esimd_euicc_modem_vanished (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), FALSE);

	self->modem_present = FALSE;
	esimd_euicc_update_state (self);
	/* an eIM poll may enable a profile: the card REFRESHes and ModemManager may
	 * drop the modem before the poll is over */
	if (self->inhibited || self->expect_reset ||
	    g_get_monotonic_time () < self->expect_reset_until ||
	    (self->current != NULL && self->current->kind == ESIMD_OP_POLL)) {
		esimd_obj_debug (self->log_id, "ModemManager hides the modem (%s): expected",
		                 self->inhibited ? "inhibited" : "card or modem reset");
		/* when idle, it has SwitchTimeout to come back */
		if (self->current == NULL && !self->probing)
			esimd_euicc_check_presence (self);
		return TRUE;
	}
	return FALSE;
}

static gboolean
euicc_lost_timeout_cb (gpointer user_data)
{
	EsimdEuicc *self = user_data;

	self->lost_timeout_id = 0;
	if (self->modem_present || self->gone_error != NULL)
		return G_SOURCE_REMOVE;
	esimd_obj_warn (self->log_id, "the modem did not come back to ModemManager within %u s",
	                self->policy.switch_timeout_s);
	g_signal_emit_by_name (self, "modem-lost");
	return G_SOURCE_REMOVE;
}

void
esimd_euicc_check_presence (EsimdEuicc *self)
{
	/* a card put into its reader meanwhile is read first */
	if (esimd_euicc_card_idle (self))
		return;
	if (self->modem == NULL || self->modem_present || self->inhibited || self->expect_reset ||
	    self->gone_error != NULL || self->lost_timeout_id != 0)
		return;
	esimd_obj_debug (self->log_id, "waiting up to %u s for the modem to come back",
	                 self->policy.switch_timeout_s);
	self->lost_timeout_id = g_timeout_add_seconds (self->policy.switch_timeout_s,
	                                               euicc_lost_timeout_cb, self);
}

void
esimd_euicc_apply_pending_channel (EsimdEuicc *self)
{
	g_autoptr(EsimChannel) channel = g_steal_pointer (&self->pending_channel);

	if (channel != NULL)
		esimd_euicc_set_channel (self, channel);
}

/* ---- InhibitDevice ---- */

static void
euicc_inhibit_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	if (esimd_modem_watcher_inhibit_finish (ESIMD_MODEM_WATCHER (source), res, &error)) {
		esimd_obj_debug (self->log_id, "modem inhibited");
		g_task_return_boolean (task, TRUE);
		return;
	}
	self->inhibited = FALSE;
	/* it went away and the inhibit failed: it was unplugged, not inhibited */
	if (!self->modem_present) {
		esimd_obj_info (self->log_id, "the modem went away while being inhibited: %s",
		                error->message);
		g_task_return_error (task, esimd_euicc_modem_removed_error (self));
		/* no need to wait for it: it is gone */
		g_signal_emit_by_name (self, "modem-lost");
		return;
	}
	g_task_return_error (task, g_steal_pointer (&error));
}

void
esimd_euicc_inhibit_async (EsimdEuicc *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, esimd_euicc_inhibit_async);
	if (self->watcher == NULL || self->modem == NULL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		                         "this eUICC is not on a modem");
		return;
	}
	if (!self->modem_present) {
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                         "ModemManager does not show the modem now");
		return;
	}
	/* from now on ModemManager may take the modem off the bus before it answers */
	self->inhibited = TRUE;
	esimd_obj_info (self->log_id, "inhibiting the modem in ModemManager");
	esimd_modem_watcher_inhibit_async (self->watcher, self->modem->uid, TRUE, cancellable,
	                                   euicc_inhibit_ready, g_steal_pointer (&task));
}

gboolean
esimd_euicc_inhibit_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
euicc_uninhibit_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;

	self->inhibited = FALSE;
	if (!esimd_modem_watcher_inhibit_finish (ESIMD_MODEM_WATCHER (source), res, &error)) {
		esimd_obj_warn (self->log_id, "releasing the modem: %s", error->message);
		g_task_return_error (task, error);
		return;
	}
	esimd_obj_info (self->log_id, "modem released to ModemManager");
	g_task_return_boolean (task, TRUE);
}

void
esimd_euicc_uninhibit_async (EsimdEuicc *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

	g_task_set_source_tag (task, esimd_euicc_uninhibit_async);
	if (!self->inhibited || self->watcher == NULL || self->modem == NULL) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	/* never cancelled: an inhibit must not outlive the operation that took it */
	esimd_modem_watcher_inhibit_async (self->watcher, self->modem->uid, FALSE, NULL,
	                                   euicc_uninhibit_ready, g_steal_pointer (&task));
}

gboolean
esimd_euicc_uninhibit_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- access bracket (AT: inhibit + port per operation) ---- */

/* The inhibit taken for an acquire that then failed is lifted: @task gets
 * the error kept in its data. */
static void
acquire_uninhibited (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = g_task_get_task_data (task);

	esimd_euicc_uninhibit_finish (ESIMD_EUICC (source), res, NULL);
	g_task_return_error (task, g_error_copy (error));
}

static void
acquire_inhibited (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimdEuicc *self = ESIMD_EUICC (source);
	GError *error = NULL;
	g_autoptr(EsimChannel) channel = NULL;

	if (!esimd_euicc_inhibit_finish (self, res, &error)) {
		g_task_return_error (task, error);
		return;
	}
	channel = esimd_modem_channel_new (self->modem, self->config, &error);
	if (channel == NULL) {
		g_task_set_task_data (task, error, (GDestroyNotify) g_error_free);
		esimd_euicc_uninhibit_async (self, acquire_uninhibited, g_steal_pointer (&task));
		return;
	}
	esimd_euicc_set_channel (self, channel);
	g_task_return_boolean (task, TRUE);
}

void
esimd_euicc_acquire_async (EsimdEuicc *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_source_tag (task, esimd_euicc_acquire_async);
	if (self->per_access_channel) {
		/* ModemManager must not use the AT port while esimd does */
		esimd_euicc_inhibit_async (self, cancellable, acquire_inhibited,
		                           g_steal_pointer (&task));
		return;
	}
	if (self->isdr == NULL) {
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                         "the eUICC has no channel");
		return;
	}
	g_task_return_boolean (task, TRUE);
}

gboolean
esimd_euicc_acquire_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
release_uninhibited (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;

	/* a failed release is logged; ModemManager drops it anyway when esimd exits */
	esimd_euicc_uninhibit_finish (ESIMD_EUICC (source), res, NULL);
	g_task_return_boolean (task, TRUE);
}

/* The per-operation channel is dropped, then the inhibit lifted. */
static void
release_channel (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);

	esimd_euicc_set_channel (self, NULL);
	esimd_euicc_uninhibit_async (self, release_uninhibited, task);
}

static void
release_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	if (!esim_isdr_close_finish (ESIM_ISDR (source), res, &error))
		esimd_obj_debug (self->log_id, "closing the ISD-R: %s", error->message);
	release_channel (task);
}

/* A card shared with other applications (PC/SC) is let go of between operations. */
static void
release_shared_released (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;

	esim_channel_release_finish (ESIM_CHANNEL (source), res);
	g_task_return_boolean (task, TRUE);
}

static void
release_shared_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	/* a card taken out or reset has closed the channel already */
	if (!esim_isdr_close_finish (ESIM_ISDR (source), res, &error))
		esimd_obj_debug (self->log_id, "closing the ISD-R: %s", error->message);
	esim_channel_release_async (esim_isdr_get_channel (ESIM_ISDR (source)),
	                            release_shared_released, task);
}

void
esimd_euicc_release_async (EsimdEuicc *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

	g_task_set_source_tag (task, esimd_euicc_release_async);
	if (!self->per_access_channel) {
		EsimChannel *channel = NULL;

		if (self->isdr != NULL)
			channel = esim_isdr_get_channel (self->isdr);
		if (channel != NULL && esim_channel_can_release (channel)) {
			esim_isdr_close_async (self->isdr, NULL, release_shared_closed,
			                       g_steal_pointer (&task));
			return;
		}
		g_task_return_boolean (task, TRUE);
		return;
	}
	if (esimd_euicc_isdr_is_open (self)) {
		esim_isdr_close_async (self->isdr, NULL, release_closed, g_steal_pointer (&task));
		return;
	}
	release_channel (g_steal_pointer (&task));
}

gboolean
esimd_euicc_release_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- object ---- */

void
esimd_euicc_modem_dispose (EsimdEuicc *self)
{
	if (self->lost_timeout_id != 0)
		g_source_remove (self->lost_timeout_id);
	self->lost_timeout_id = 0;
	while (self->presence_waiters != NULL)
		presence_wait_complete (self, self->presence_waiters->data,
		                        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
		                                             "the eUICC is gone"));
	g_clear_object (&self->pending_channel);
	g_clear_pointer (&self->modem, esimd_modem_euicc_free);
	g_clear_object (&self->watcher);
}
