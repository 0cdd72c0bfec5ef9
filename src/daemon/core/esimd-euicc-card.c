/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card of an eUICC in a reader (PC/SC): the reader tells when it is taken
 * out or put in, and esimd follows without waiting for a client.
 *
 * A removed card makes the eUICC "absent" at once and unhealthy, so that
 * whatever comes back is read afresh.  A card put in is read again (EID
 * included: it may be another card) as soon as no operation runs; while one
 * runs, the operation finds the card itself (a profile switch waits for it)
 * and the probe follows it.
 */

#include "esimd-euicc-private.h"
#include "esimd-log.h"

static void
card_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);
	g_autoptr(GError) error = NULL;

	/* a failed probe published its error (State, LastError) itself; one that
	 * worked makes what went wrong with the card before (no card…) history */
	if (esimd_euicc_probe_finish (self, res, &error)) {
		esimd_gdbus_euicc_set_last_error (self->skeleton, "");
		g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
	}
}

gboolean
esimd_euicc_card_idle (EsimdEuicc *self)
{
	if (!self->card_reprobe || self->card_absent || self->current != NULL || self->probing ||
	    self->close_task != NULL || self->gone_error != NULL)
		return FALSE;
	self->card_reprobe = FALSE;
	/* another card may be in the reader now: its EID is read too */
	g_clear_pointer (&self->eid, g_free);
	esimd_euicc_probe_async (self, NULL, card_probe_ready, NULL);
	/* "busy" while it is read */
	esimd_euicc_update_state (self);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
	return TRUE;
}

void
esimd_euicc_set_card_present (EsimdEuicc *self, gboolean present)
{
	g_return_if_fail (ESIMD_IS_EUICC (self));

	if (present == !self->card_absent)
		return;
	self->card_absent = !present;
	if (!present) {
		esimd_obj_info (self->log_id, "the card was taken out of the reader");
		self->card_reprobe = FALSE;
		/* its logical channels went with it */
		self->healthy = FALSE;
		if (self->current == NULL && !self->probing && self->isdr != NULL)
			esim_isdr_forget_channel (self->isdr);
	} else {
		esimd_obj_info (self->log_id, "a card was put into the reader: reading it");
		self->card_reprobe = TRUE;
	}
	if (present && esimd_euicc_card_idle (self))
		return;
	esimd_euicc_update_state (self);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}
