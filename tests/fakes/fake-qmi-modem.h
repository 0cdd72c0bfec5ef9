/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake QMI modem on a pseudo-terminal, for tests.
 *
 * It speaks real QMUX framing on the pty master (marker 0x01, length, flags,
 * service, client id, then the CTL or service header and TLVs), so libqmi's
 * QmiDevice — or the real qmi-proxy — can open the pty slave path exactly as
 * it opens /dev/cdc-wdmN.  Served messages:
 *   CTL: Get Version Info, Allocate CID, Release CID, Sync (and the Sync
 *        indication when it forgets its clients on its own);
 *   UIM: Reset, Get Slot Status, Switch Slot, Open Logical Channel, Send APDU,
 *        Logical Channel (close), Power Off SIM, Power On SIM.
 * Anything else is answered with QMI error InvalidQmiCommand.
 *
 * Behind it sit two physical SIM slots, each optionally holding a software
 * eUICC.  Like a single-standby modem, only the active physical slot is
 * mapped to logical slot 1 (the "slot" of every UIM command) until Switch
 * Slot maps another one; fake_qmi_modem_set_all_slots_active() models a
 * dual-active modem where physical slot N is logical slot N.  Open Logical
 * Channel is done the way a modem does it: MANAGE CHANNEL plus SELECT (with
 * GET RESPONSE for the FCI) sent to the card by the fake itself; Send APDU
 * passes the command to the card untouched and returns its answer, 61xx
 * included.
 *
 * The fake lives in the thread-default main context of the thread that
 * creates it; it never blocks.
 */
#pragma once

#include <glib.h>
#include "esim-veuicc.h"

G_BEGIN_DECLS

typedef struct _FakeQmiModem FakeQmiModem;

/* Called after the fake reset the card in @physical_slot on its own (the
 * REFRESH that follows a successful enable or disable, see
 * fake_qmi_modem_set_reset_after_switch()), or after Power On SIM. */
typedef void (*FakeQmiModemCardResetFunc) (FakeQmiModem *modem, guint physical_slot,
                                           gpointer user_data);

/* @slot1, @slot2: the cards in physical slots 1 and 2 (either may be NULL for
 * an empty slot, not both).  @active_slot: 1 or 2. */
FakeQmiModem *fake_qmi_modem_new (EsimVeuicc *slot1, EsimVeuicc *slot2, guint active_slot,
                                  GError **error);
void          fake_qmi_modem_free (FakeQmiModem *self);
/* The pty slave path (e.g. /dev/pts/7) to hand to the code under test. */
const gchar  *fake_qmi_modem_get_port (FakeQmiModem *self);

/* --- faults ------------------------------------------------------------ */

/* Open Logical Channel answers this QMI protocol error (e.g. 82 AccessDenied,
 * 3 Internal); 0 restores normal behaviour. */
void     fake_qmi_modem_set_open_channel_error (FakeQmiModem *self, guint qmi_error);
/* Both physical slots are active (physical N = logical N): no switch needed. */
void     fake_qmi_modem_set_all_slots_active (FakeQmiModem *self, gboolean all_active);
/* After a Switch Slot, the next @n_polls Get Slot Status answers still show
 * no active slot, as a card powering up in its new slot (lpac#241). */
void     fake_qmi_modem_set_slot_switch_delay (FakeQmiModem *self, guint n_polls);
/* After a successful EnableProfile/DisableProfile answer, the card resets as
 * after a REFRESH: every logical channel on it is gone, so the next Send APDU
 * on the old channel fails (QMI InvalidArgument), and the reset func runs. */
void     fake_qmi_modem_set_reset_after_switch (FakeQmiModem *self, gboolean reset);
void     fake_qmi_modem_set_card_reset_func (FakeQmiModem *self, FakeQmiModemCardResetFunc func,
                                             gpointer user_data);
/* The port disappears when the @n-th next Send APDU request arrives: that
 * request is swallowed (never answered) and the pty is closed, as when the
 * modem drops off the USB bus mid-command.  0 disables. */
void     fake_qmi_modem_vanish_after_apdus (FakeQmiModem *self, guint n);
/* The port disappears now. */
void     fake_qmi_modem_vanish (FakeQmiModem *self);
/* While held, Send APDU requests are queued unanswered (a slow or stuck
 * card); releasing answers the queued ones in order. */
void     fake_qmi_modem_set_hold_apdus (FakeQmiModem *self, gboolean hold);
guint    fake_qmi_modem_get_n_held_apdus (FakeQmiModem *self);
/* Send APDU succeeds but carries no APDU Response TLV (a broken firmware). */
void     fake_qmi_modem_set_malformed_apdu_response (FakeQmiModem *self, gboolean malformed);
/* Opens a logical channel to the ISD-R on the card in @physical_slot and
 * leaves it open, as a crashed tool would: with @qmi_client TRUE it belongs
 * to a UIM client id that was never released (CTL Sync or releasing that
 * client closes it), with FALSE it was opened outside QMI (AT+CCHO) and only
 * an explicit close frees it.  Returns the channel number, 0 if the card has
 * no free channel. */
guint    fake_qmi_modem_add_stale_channel (FakeQmiModem *self, guint physical_slot,
                                           gboolean qmi_client);

/* The modem forgets every client id it gave out, and the logical channels
 * they held: its QMI service restarted, or another program sent CTL Sync on
 * the same port.  Requests still using a forgotten id are refused with QMI
 * InvalidClientId (7) before they reach the card.  With @sync_indication the
 * modem says so with a CTL Sync indication (a restart of its QMI service);
 * without, nothing is said (another program's Sync is answered to it only). */
void     fake_qmi_modem_forget_clients (FakeQmiModem *self, gboolean sync_indication);
/* The same, silently, right after the @n-th next Send APDU answer (mid-operation).
 * 0 disables. */
void     fake_qmi_modem_forget_clients_after_apdus (FakeQmiModem *self, guint n);
/* A path that keeps leading to the modem across fake_qmi_modem_restart(): a
 * symbolic link named like a tty, in a temporary directory removed with the
 * fake.  NULL if it cannot be made. */
const gchar *fake_qmi_modem_get_link (FakeQmiModem *self, GError **error);
/* The QMI port goes away and comes back, as when the qmi-proxy a program talks
 * through dies or the firmware restarts: whoever has the port open sees a
 * hang-up, every client id and its channels are forgotten, and a new port
 * comes up (fake_qmi_modem_get_port() changes; the link follows it). */
gboolean fake_qmi_modem_restart (FakeQmiModem *self, GError **error);

/* --- counters and state ------------------------------------------------ */

guint    fake_qmi_modem_get_n_apdus (FakeQmiModem *self);          /* Send APDU requests answered */
guint    fake_qmi_modem_get_n_open_channels (FakeQmiModem *self);  /* logical channels open, all cards */
guint    fake_qmi_modem_get_n_uim_clients (FakeQmiModem *self);    /* UIM client ids allocated */
guint    fake_qmi_modem_get_n_card_resets (FakeQmiModem *self);    /* REFRESH resets + power cycles */
guint    fake_qmi_modem_get_n_slot_switches (FakeQmiModem *self);
guint    fake_qmi_modem_get_active_slot (FakeQmiModem *self);
/* How many UIM requests with @message_id (e.g. 0x0030 Power Off SIM) arrived. */
guint    fake_qmi_modem_get_n_requests (FakeQmiModem *self, guint16 message_id);
/* How many CTL requests with @message_id (0x0022 Allocate CID, 0x0023 Release
 * CID, 0x0027 Sync) arrived. */
guint    fake_qmi_modem_get_n_ctl_requests (FakeQmiModem *self, guint16 message_id);
/* How many UIM requests were refused because the modem did not know their client id. */
guint    fake_qmi_modem_get_n_unknown_client (FakeQmiModem *self);
gboolean fake_qmi_modem_is_gone (FakeQmiModem *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeQmiModem, fake_qmi_modem_free)

G_END_DECLS
