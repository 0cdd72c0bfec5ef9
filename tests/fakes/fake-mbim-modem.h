/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake MBIM modem for tests: a pseudo-terminal speaking real MBIM framing
 * (OPEN/OPEN_DONE, CLOSE/CLOSE_DONE, COMMAND/COMMAND_DONE with fragments),
 * backed by one or two software eUICCs (SIM slots 1 and 2).
 *
 * It answers, on the pty slave path given by fake_mbim_modem_get_port():
 *   basic connect:            Device Services, Subscriber Ready Status,
 *                             Device Service Subscribe List (echoed);
 *   MS basic connect ext.:    Device Slot Mappings (query/set);
 *   MS UICC low-level access: Open Channel (MANAGE CHANNEL + SELECT done by
 *                             the "modem", FCI fetched through GET RESPONSE),
 *                             Close Channel (channel 0 = whole group), APDU,
 *                             Reset (query/set).
 * Anything else is answered with status NoDeviceSupport.
 *
 * Like a real modem, the logical channels outlive the MBIM session (an MBIM
 * CLOSE or a reopened port does not close them); a card reset, a slot switch
 * and Close Channel do.  Status words go out as modems send them: SW1 in the
 * low byte of the 32-bit Status field, SW2 in the next (90 00 is 0x00000090).
 * Until the host's OPEN (and after the function restarted) every command is
 * answered with a FUNCTION_ERROR NotOpened.
 *
 * It runs in the main context that is the thread default when it is created,
 * so the test's main loop (or a thread's) must be iterating for it to answer.
 */
#pragma once

#include <glib.h>

#include "esim-veuicc.h"

G_BEGIN_DECLS

typedef struct _FakeMbimModem FakeMbimModem;

/* Microsoft status codes of MS UICC low-level access, for the setters below. */
#define FAKE_MBIM_STATUS_NO_LOGICAL_CHANNELS     0x87430001u
#define FAKE_MBIM_STATUS_SELECT_FAILED           0x87430002u
#define FAKE_MBIM_STATUS_INVALID_LOGICAL_CHANNEL 0x87430003u

typedef enum {
	FAKE_MBIM_SLOT_MAPPING_SUPPORTED,      /* query and set work (default) */
	FAKE_MBIM_SLOT_MAPPING_NO_DEVICE_SUPPORT, /* single-slot modem (lpac#416) */
	FAKE_MBIM_SLOT_MAPPING_FAILS,          /* answered Failure: needs SkipSlotMapping */
} FakeMbimSlotMapping;

/* @slot2 may be NULL (empty slot); @active_slot is 1 or 2.  The cards are
 * referenced.  NULL with @error set when no pty can be created. */
FakeMbimModem *fake_mbim_modem_new (EsimVeuicc *slot1, EsimVeuicc *slot2, guint active_slot,
                                    GError **error);
void           fake_mbim_modem_free (FakeMbimModem *self);
/* The pty slave, e.g. "/dev/pts/7": the device path for the code under test. */
const gchar   *fake_mbim_modem_get_port (FakeMbimModem *self);

/* ---- quirks the fake can insist on (each off by default) ---- */
/* APDUs not sent with ClassByteType EXTENDED are answered SW 6E00 (L850-GL). */
void fake_mbim_modem_require_extended_class_byte (FakeMbimModem *self, gboolean require);
/* Open Channel with another SelectP2Arg fails with SelectFailed; -1 accepts any. */
void fake_mbim_modem_require_select_p2 (FakeMbimModem *self, gint select_p2);
/* A STORE DATA without Le gets 9000 and no data (the response is lost). */
void fake_mbim_modem_require_le (FakeMbimModem *self, gboolean require);
void fake_mbim_modem_set_slot_mapping (FakeMbimModem *self, FakeMbimSlotMapping mode);
/* The card answers nothing (Subscriber Ready NotInitialized, Open Channel
 * NotInitialized) for @delay_ms after a slot switch or a reset.  Default 0. */
void fake_mbim_modem_set_ready_delay (FakeMbimModem *self, guint delay_ms);
/* Responses larger than @size bytes are split into MBIM fragments of at
 * most @size bytes (default: the host's maximum from OPEN).  At least 64. */
void fake_mbim_modem_set_max_fragment (FakeMbimModem *self, guint size);

/* ---- faults ---- */
/* Open Channel fails with this MBIM status (0 = works again), e.g.
 * FAKE_MBIM_STATUS_NO_LOGICAL_CHANNELS or 28 (OperationNotAllowed). */
void fake_mbim_modem_refuse_open_channel (FakeMbimModem *self, guint32 mbim_status);
/* The port disappears now (the pty is closed, readers see a hangup). */
void fake_mbim_modem_unplug (FakeMbimModem *self);
/* The next APDU is swallowed and the port disappears right after: the
 * modem is gone in the middle of a command. */
void fake_mbim_modem_unplug_on_next_apdu (FakeMbimModem *self);
/* While held, APDU commands are queued unanswered; releasing answers them. */
void fake_mbim_modem_hold_apdus (FakeMbimModem *self, gboolean hold);
/* After a successful EnableProfile/DisableProfile (BF31/BF32 answered with
 * result 0) the card resets, as it does on the REFRESH: every logical channel
 * is gone (APDUs on them get InvalidLogicalChannel) and the ready delay runs. */
void fake_mbim_modem_set_reset_after_switch (FakeMbimModem *self, gboolean reset);
/* Resets the active card now (same effects). */
void fake_mbim_modem_reset_card (FakeMbimModem *self);
/* The MBIM function restarts now, as after a firmware restart of the
 * function or another program's CLOSE: it forgets the host's OPEN and answers
 * every command with FUNCTION_ERROR NotOpened until the next OPEN.  The
 * card and its logical channels are left as they were. */
void fake_mbim_modem_close_function (FakeMbimModem *self);
/* The same once @n_apdus more APDU commands have been answered (0: now):
 * the next command after them is refused NotOpened. */
void fake_mbim_modem_close_function_after_apdus (FakeMbimModem *self, guint n_apdus);
/* Opens a logical channel in @group as a crashed earlier client would have
 * left it; returns its number (0 if the card has none free). */
guint fake_mbim_modem_open_stale_channel (FakeMbimModem *self, guint32 group);

/* ---- observation ---- */
guint    fake_mbim_modem_get_active_slot (FakeMbimModem *self);
gboolean fake_mbim_modem_is_plugged (FakeMbimModem *self);
gboolean fake_mbim_modem_is_session_open (FakeMbimModem *self);  /* OPEN seen, no CLOSE yet */
guint    fake_mbim_modem_get_n_open_channels (FakeMbimModem *self); /* now, all groups */
guint    fake_mbim_modem_get_n_apdus (FakeMbimModem *self);         /* APDU commands received */
guint    fake_mbim_modem_get_n_held (FakeMbimModem *self);          /* APDUs waiting while held */
guint    fake_mbim_modem_get_n_resets (FakeMbimModem *self);        /* card resets (any cause) */
guint    fake_mbim_modem_get_n_slot_switches (FakeMbimModem *self);
guint    fake_mbim_modem_get_n_fragmented (FakeMbimModem *self);    /* responses sent in > 1 fragment */
guint    fake_mbim_modem_get_n_opens (FakeMbimModem *self);         /* MBIM OPEN messages received */
guint    fake_mbim_modem_get_n_not_opened (FakeMbimModem *self);    /* commands refused NotOpened */
guint32  fake_mbim_modem_get_last_channel_group (FakeMbimModem *self); /* of the last Open Channel */
gint     fake_mbim_modem_get_last_select_p2 (FakeMbimModem *self);  /* -1 before any Open Channel */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeMbimModem, fake_mbim_modem_free)

G_END_DECLS
