/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The profile-switch lifecycle, for every eUICC.  Enabling or disabling a
 * profile may make the card reset (REFRESH): the modem and ModemManager see it
 * go and come back, a card in a PC/SC reader may leave the reader and come
 * back.  The D-Bus call completes only once esimd has the card again and has
 * read what changed:
 *
 *   [probe if the eUICC is in error]
 *   [InhibitDevice (uid, TRUE)        when InhibitOnSwitch]
 *   open ISD-R -> ES10 Enable/DisableProfile (refreshFlag) -> close ISD-R
 *   [reset the card or the modem      when ResetAfterSwitch says so]
 *   reopen the ISD-R, with backoff, until SwitchTimeout
 *   re-read EID, EUICCInfo2, profiles and notifications
 *   [InhibitDevice (uid, FALSE)       always, also on error and cancellation]
 *   [wait until ModemManager shows the eUICC again]
 *
 * A failure anywhere jumps to the release; the first error is the result.
 *
 * After a switch esimd shows what the card holds, or says that it does not
 * know: never the profile that was enabled before.  Success means the card
 * was read again (and is the same card).  When the command reached the card
 * and its outcome was not read back (no answer, the card did not come back,
 * the re-read failed), the call fails, the profiles' State is "unknown" and
 * the eUICC is unhealthy, so that it is read afresh first thing next time.
 */

#include "esimd-error.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"
#include "esimd-profile.h"

/* reopen backoff: 200 ms doubling up to 2 s */
#define SWITCH_RETRY_FIRST_MS 200
#define SWITCH_RETRY_MAX_MS   2000

typedef enum {
	SWITCH_STEP_FIRST,
	SWITCH_STEP_PROBE,
	SWITCH_STEP_INHIBIT,
	SWITCH_STEP_OPEN,
	SWITCH_STEP_CALL,
	SWITCH_STEP_CLOSE,
	SWITCH_STEP_RESET_RELEASE, /* Modem.Reset() needs the modem on the bus */
	SWITCH_STEP_RESET_WAIT,
	SWITCH_STEP_RESET,
	SWITCH_STEP_REOPEN,
	SWITCH_STEP_REREAD,
	SWITCH_STEP_RELEASE,
	SWITCH_STEP_WAIT_MODEM,
	SWITCH_STEP_LAST,
} SwitchStep;

typedef struct {
	EsimdRequest *request;     /* owned by the eUICC while it runs */
	SwitchStep    step;
	gboolean      refresh;     /* refreshFlag sent to the card */
	gboolean      inhibited;   /* this switch holds the inhibit */
	gboolean      call_retried;
	gboolean      call_sent;   /* the ES10 call may have reached the card */
	gboolean      unchanged;   /* the card answered that it did not switch */
	gboolean      reread;      /* the card was read again after the switch */
	gchar        *eid_before;
	gint64        deadline;    /* monotonic time, µs */
	guint         retry_ms;
	guint         retry_id;
	GError       *error;       /* the first failure, returned after the release */
} SwitchContext;

static void switch_step (GTask *task);

static void
switch_context_free (SwitchContext *ctx)
{
	if (ctx->retry_id != 0)
		g_source_remove (ctx->retry_id);
	g_clear_error (&ctx->error);
	g_free (ctx->eid_before);
	g_free (ctx);
}

static const gchar *
switch_name (SwitchContext *ctx)
{
	return esimd_op_get_info (ctx->request->kind)->name;
}

static guint
switch_remaining_ms (SwitchContext *ctx)
{
	gint64 left = ctx->deadline - g_get_monotonic_time ();

	return left > 0 ? (guint) (left / 1000) : 0;
}

static void
switch_next (GTask *task)
{
	SwitchContext *ctx = g_task_get_task_data (task);

	ctx->step++;
	switch_step (task);
}

/* Records @error (taken) and goes on with the release of the inhibit. */
static void
switch_fail (GTask *task, GError *error)
{
	SwitchContext *ctx = g_task_get_task_data (task);

	if (ctx->error == NULL)
		ctx->error = error;
	else
		g_error_free (error);
	if (ctx->step < SWITCH_STEP_RELEASE)
		ctx->step = SWITCH_STEP_RELEASE;
	else
		ctx->step = SWITCH_STEP_LAST;
	switch_step (task);
}

static gboolean
switch_error_is_lost_channel (const GError *error)
{
	return g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED) ||
	       g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
}

/* Whether a failed ES10 call leaves the card as it was: it refused (an ES10
 * result, a status word), or the backend never let the command reach it
 * (CHANNEL_CLOSED).  No answer, an answer that cannot be read, a timeout:
 * the card may have switched. */
static gboolean
switch_error_means_unchanged (const GError *error)
{
	if (error->domain == ESIM_ES10_ERROR)
		return TRUE;
	if (error->domain != ESIM_APDU_ERROR)
		return FALSE;
	return error->code != ESIM_APDU_ERROR_TRANSPORT &&
	       error->code != ESIM_APDU_ERROR_MALFORMED_RESPONSE;
}

/* The profiles as far as esimd knows after a switch it could not read back. */
static void
switch_forget_profile_states (EsimdEuicc *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->profiles);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		esimd_profile_set_state_unknown (ESIMD_PROFILE (value));
	self->healthy = FALSE;
}

/* ---- callbacks ---- */

static void
switch_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	GError *error = NULL;

	if (!esimd_euicc_refresh_finish (ESIMD_EUICC (source), res, &error)) {
		switch_fail (task, error);
		return;
	}
	switch_next (task);
}

static void
switch_inhibit_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	SwitchContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!esimd_euicc_inhibit_finish (ESIMD_EUICC (source), res, &error)) {
		switch_fail (task, error);
		return;
	}
	ctx->inhibited = TRUE;
	switch_next (task);
}

/* The ISD-R is open for the ES10 call: first time, or again after a lost channel. */
static void
switch_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	SwitchContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!esim_isdr_open_finish (ESIM_ISDR (source), res, &error)) {
		switch_fail (task, error);
		return;
	}
	ctx->step = SWITCH_STEP_CALL;
	switch_step (task);
}

static void
switch_closed_for_call (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;

	/* the channel is gone already: a failing close is expected */
	esim_isdr_close_finish (ESIM_ISDR (source), res, NULL);
	esim_isdr_open_async (ESIM_ISDR (source), g_task_get_cancellable (task), switch_open_ready,
	                      task);
}

static void
switch_call_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	SwitchContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;
	gboolean ok;

	if (ctx->request->kind == ESIMD_OP_ENABLE_PROFILE)
		ok = esim_es10_enable_profile_finish (ESIM_ISDR (source), res, &error);
	else
		ok = esim_es10_disable_profile_finish (ESIM_ISDR (source), res, &error);
	if (!ok) {
		/* a REFRESH esimd did not see may have taken the channel: once more on a new one */
		if (!ctx->call_retried && switch_error_is_lost_channel (error)) {
			esimd_obj_info (self->log_id, "the ISD-R channel was lost (%s): opening it again",
			                error->message);
			g_error_free (error);
			ctx->call_retried = TRUE;
			esim_isdr_close_async (self->isdr, g_task_get_cancellable (task),
			                       switch_closed_for_call, task);
			return;
		}
		self->expect_reset = FALSE;
		ctx->unchanged = switch_error_means_unchanged (error);
		if (!ctx->unchanged)
			g_prefix_error (&error, "%s: the eUICC's answer was lost, whether it "
			                "switched is not known: ", switch_name (ctx));
		switch_fail (task, error);
		return;
	}
	esimd_obj_info (self->log_id, "%s accepted by the eUICC; waiting for it to come back",
	                switch_name (ctx));
	switch_next (task);
}

static void
switch_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;

	/* the card may have reset already and taken the channel with it */
	esim_isdr_close_finish (ESIM_ISDR (source), res, NULL);
	switch_next (task);
}

/* The inhibit is lifted: before a modem reset (which needs the modem on the
 * bus) or at the end.  A failed release is logged by the eUICC; ModemManager
 * also drops it when esimd leaves the bus. */
static void
switch_uninhibit_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	SwitchContext *ctx = g_task_get_task_data (task);

	esimd_euicc_uninhibit_finish (ESIMD_EUICC (source), res, NULL);
	ctx->inhibited = FALSE;
	switch_next (task);
}

/* ModemManager shows the modem again (or did not in time): before a modem
 * reset, or at the end, where the card is fine and ModemManager shows it
 * once it is done probing. */
static void
switch_wait_present_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = ESIMD_EUICC (source);
	SwitchContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_wait_present_finish (self, res, &error))
		esimd_obj_warn (self->log_id, "%s%s",
		                ctx->step == SWITCH_STEP_RESET_WAIT ? "cannot reset the modem: " : "",
		                error->message);
	switch_next (task);
}

static void
switch_card_reset_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	/* the card did switch: a failed reset only delays what the modem sees */
	if (!esim_channel_reset_card_finish (ESIM_CHANNEL (source), res, &error))
		esimd_obj_warn (self->log_id, "resetting the card: %s", error->message);
	switch_next (task);
}

static void
switch_modem_reset_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_modem_watcher_reset_modem_finish (ESIMD_MODEM_WATCHER (source), res, &error))
		esimd_obj_warn (self->log_id, "resetting the modem: %s", error->message);
	switch_next (task);
}

static gboolean
switch_retry_cb (gpointer user_data)
{
	GTask *task = user_data;
	SwitchContext *ctx = g_task_get_task_data (task);

	ctx->retry_id = 0;
	switch_step (task);
	return G_SOURCE_REMOVE;
}

static void
switch_reopen_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	SwitchContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (esim_isdr_open_finish (ESIM_ISDR (source), res, &error)) {
		switch_next (task);
		return;
	}
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    switch_remaining_ms (ctx) == 0) {
		switch_fail (task, g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                                "the eUICC did not come back within %u s after %s: "
		                                "%s", self->policy.switch_timeout_s, switch_name (ctx),
		                                error->message));
		return;
	}
	esimd_obj_debug (self->log_id, "the eUICC is not back yet (%s): again in %u ms",
	                 error->message, ctx->retry_ms);
	ctx->retry_id = g_timeout_add (MIN (ctx->retry_ms, switch_remaining_ms (ctx)),
	                               switch_retry_cb, task);
	ctx->retry_ms = MIN (ctx->retry_ms * 2, SWITCH_RETRY_MAX_MS);
}

static void
switch_reread_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = ESIMD_EUICC (source);
	SwitchContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_refresh_finish (self, res, &error)) {
		switch_fail (task, g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                                "%s was accepted by the eUICC, but it could not be "
		                                "read afterwards: %s", switch_name (ctx),
		                                error->message));
		return;
	}
	/* the view is the card's now, whichever card it is */
	ctx->reread = TRUE;
	if (ctx->eid_before != NULL && g_strcmp0 (ctx->eid_before, self->eid) != 0) {
		switch_fail (task, g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                                "after %s, another eUICC answers (its EID "
		                                "differs)", switch_name (ctx)));
		return;
	}
	switch_next (task);
}

/* ---- the steps ---- */

static void
switch_call (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	SwitchContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	/* from the moment the card has the command, it may reset */
	self->expect_reset = TRUE;
	esimd_obj_debug (self->log_id, "running %s (refreshFlag %d)", switch_name (ctx),
	                 ctx->refresh);
	ctx->call_sent = TRUE;
	if (ctx->request->kind == ESIMD_OP_ENABLE_PROFILE)
		esim_es10_enable_profile (self->isdr, ctx->request->iccid, ctx->refresh, cancellable,
		                          switch_call_ready, task);
	else
		esim_es10_disable_profile (self->isdr, ctx->request->iccid, ctx->refresh, cancellable,
		                           switch_call_ready, task);
}

/* Runs the reset ResetAfterSwitch asks for; FALSE when there is none to run. */
static gboolean
switch_reset (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	switch (self->policy.reset_after_switch) {
	case ESIMD_RESET_AFTER_SWITCH_CARD:
		esimd_obj_info (self->log_id, "resetting the card so that the modem reads it again");
		esim_channel_reset_card_async (esim_isdr_get_channel (self->isdr), cancellable,
		                               switch_card_reset_ready, task);
		return TRUE;
	case ESIMD_RESET_AFTER_SWITCH_MODEM:
		if (!self->modem_present)
			return FALSE;
		esimd_modem_watcher_reset_modem_async (self->watcher, self->modem->uid, cancellable,
		                                       switch_modem_reset_ready, task);
		return TRUE;
	case ESIMD_RESET_AFTER_SWITCH_NONE:
	default:
		return FALSE;
	}
}

static void
switch_finish (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	SwitchContext *ctx = g_task_get_task_data (task);

	self->expect_reset = FALSE;
	if (ctx->call_sent && !ctx->unchanged && !ctx->reread) {
		esimd_obj_warn (self->log_id, "the profiles' state after %s is not known until the "
		                "eUICC is read again", switch_name (ctx));
		switch_forget_profile_states (self);
	}
	if (ctx->error != NULL) {
		g_task_return_error (task, g_steal_pointer (&ctx->error));
	} else {
		/* ModemManager may notice the card reset only now: not a removal either */
		self->expect_reset_until = g_get_monotonic_time () +
		                           (gint64) self->policy.switch_timeout_s * G_USEC_PER_SEC;
		esimd_obj_info (self->log_id, "%s done", switch_name (ctx));
		g_task_return_boolean (task, TRUE);
	}
	g_object_unref (task);
}

static void
switch_step (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	SwitchContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	/* cancelled: nothing more on the card, but the inhibit is always released */
	if (ctx->step < SWITCH_STEP_RELEASE && g_cancellable_is_cancelled (cancellable)) {
		switch_fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
		return;
	}

	switch (ctx->step) {
	case SWITCH_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_PROBE:
		if (!self->healthy) {
			esimd_euicc_refresh_async (self, ESIMD_REFRESH_ALL, cancellable, switch_probe_ready,
			                           task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_INHIBIT:
		/* an AT eUICC holds the inhibit for the whole operation already */
		if (self->policy.inhibit_on_switch && !self->inhibited) {
			esimd_euicc_inhibit_async (self, cancellable, switch_inhibit_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_OPEN:
		if (!esimd_euicc_isdr_is_open (self)) {
			esim_isdr_open_async (self->isdr, cancellable, switch_open_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_CALL:
		switch_call (task);
		return;
	case SWITCH_STEP_CLOSE:
		esim_isdr_close_async (self->isdr, cancellable, switch_close_ready, task);
		return;
	case SWITCH_STEP_RESET_RELEASE:
		if (self->policy.reset_after_switch == ESIMD_RESET_AFTER_SWITCH_MODEM &&
		    ctx->inhibited) {
			esimd_euicc_uninhibit_async (self, switch_uninhibit_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_RESET_WAIT:
		if (self->policy.reset_after_switch == ESIMD_RESET_AFTER_SWITCH_MODEM) {
			esimd_euicc_wait_present_async (self, MAX (switch_remaining_ms (ctx), 1),
			                                cancellable, switch_wait_present_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_RESET:
		if (switch_reset (task))
			return;
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_REOPEN:
		/* ModemManager may have given the modem a new port meanwhile */
		esimd_euicc_apply_pending_channel (self);
		esim_isdr_open_async (self->isdr, cancellable, switch_reopen_ready, task);
		return;
	case SWITCH_STEP_REREAD:
		/* the EID too: after a reset it proves this is still the same card */
		g_free (ctx->eid_before);
		ctx->eid_before = g_steal_pointer (&self->eid);
		esimd_euicc_refresh_async (self, ESIMD_REFRESH_INFO | ESIMD_REFRESH_PROFILES |
		                           ESIMD_REFRESH_NOTIFICATIONS, cancellable,
		                           switch_reread_ready, task);
		return;
	case SWITCH_STEP_RELEASE:
		if (ctx->inhibited) {
			esimd_euicc_uninhibit_async (self, switch_uninhibit_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_WAIT_MODEM:
		/* the call completes once ModemManager has the modem (and its new profile)
		 * again; an AT eUICC's operation still holds the modem: it waits after that */
		if (ctx->error == NULL && !g_cancellable_is_cancelled (cancellable) &&
		    self->modem != NULL && !self->modem_present && !self->inhibited) {
			esimd_euicc_wait_present_async (self, MAX (switch_remaining_ms (ctx), 1000),
			                                cancellable, switch_wait_present_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case SWITCH_STEP_LAST:
	default:
		switch_finish (task);
		return;
	}
}

void
esimd_euicc_switch_async (EsimdEuicc *self,
                          EsimdRequest *request,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
	GTask *task;
	SwitchContext *ctx;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (request != NULL);
	g_return_if_fail (request->kind == ESIMD_OP_ENABLE_PROFILE ||
	                  request->kind == ESIMD_OP_DISABLE_PROFILE);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_switch_async);
	/* the result is decided by the steps, also when cancelled */
	g_task_set_check_cancellable (task, FALSE);
	ctx = g_new0 (SwitchContext, 1);
	ctx->request = request;
	ctx->step = SWITCH_STEP_FIRST;
	ctx->refresh = self->policy.refresh && request->refresh;
	ctx->retry_ms = SWITCH_RETRY_FIRST_MS;
	ctx->deadline = g_get_monotonic_time () +
	                (gint64) self->policy.switch_timeout_s * G_USEC_PER_SEC;
	if (request->refresh && !self->policy.refresh)
		esimd_obj_debug (self->log_id, "this modem does not act on REFRESH: refreshFlag 0");
	g_task_set_task_data (task, ctx, (GDestroyNotify) switch_context_free);
	switch_step (task);
}

gboolean
esimd_euicc_switch_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}
