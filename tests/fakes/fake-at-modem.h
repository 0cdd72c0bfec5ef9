/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake modem AT port on a pseudo-terminal, for tests.
 *
 * The code under test opens the pty slave path exactly as it opens
 * /dev/ttyUSB2; the fake reads CR-terminated command lines on the master and
 * answers in V.250 form ("\r\n<line>\r\n" ... "\r\nOK\r\n").  It starts with
 * echo on, as modems do, until ATE0.  Served commands:
 *   AT, ATE0, ATE1, AT+CCHO=?, AT+CGLA=?, AT+CCHC=?, AT+CSIM=?,
 *   AT+CMEE=<0-2>, AT+CMEE?, AT+CMEE=?   (27.007 §9.1; 0 until set)
 *   AT+CCHO="<AID>"          MANAGE CHANNEL + SELECT sent to the card by the
 *                            fake itself -> "+CCHO: <id>"; the id is the
 *                            card's channel, or the MT's own numbering
 *                            (fake_at_modem_set_first_session_id)
 *   AT+CGLA=<id>,<len>,"<hex>" -> "+CGLA: <len>,\"<response incl. SW>\""; with
 *                            its own numbering the MT codes the session's
 *                            channel in the CLA (27.007 §8.43 NOTE), else the
 *                            APDU goes to the card as it is
 *   AT+CCHC=<id>             MANAGE CHANNEL close of a +CCHO session
 *   AT+CSIM=<len>,"<hex>"    the APDU as is (any channel) -> "+CSIM: …"
 * Anything else answers ERROR.  Failures of known commands are reported as
 * +CMEE says (ERROR, or +CME ERROR: <n> / <text>): 50 for a malformed
 * argument (a length that does not count the hex characters, bad hex), 21
 * for an unknown session, 20 for +CCHO on a card without a free channel, 22
 * for an AID the card does not have.
 *
 * The fake lives in the thread-default main context of the thread that
 * creates it and never blocks.  It keeps its own descriptor on the pty slave,
 * so the code under test may close and reopen the port.
 */
#pragma once

#include <glib.h>
#include "esim-veuicc.h"

G_BEGIN_DECLS

typedef struct _FakeAtModem FakeAtModem;

typedef enum {
	FAKE_AT_MODEM_FLAG_NONE              = 0,
	/* no +CCHO/+CGLA/+CCHC: only +CSIM (Dell DW5821e, lpac#164) */
	FAKE_AT_MODEM_FLAG_NO_LOGICAL        = 1 << 0,
	/* +CCHO/+CGLA but no +CCHC (Sierra EM9191, lpac#187) */
	FAKE_AT_MODEM_FLAG_NO_CCHC           = 1 << 1,
	FAKE_AT_MODEM_FLAG_NO_CSIM           = 1 << 2,
	/* echo stays on: ATE0 is answered OK and ignored */
	FAKE_AT_MODEM_FLAG_ECHO              = 1 << 3,
	/* unsolicited result codes (+CIEV, RING, +CREG) before every answer and
	 * between its information line and its final result code */
	FAKE_AT_MODEM_FLAG_URCS              = 1 << 4,
	/* +CCHO answers the bare 27.007 "<sessionid>" line, without "+CCHO: " */
	FAKE_AT_MODEM_FLAG_BARE_CCHO         = 1 << 5,
	/* commands are read and never answered */
	FAKE_AT_MODEM_FLAG_HANG              = 1 << 6,
	/* 61xx answers to +CGLA/+CSIM are fetched with GET RESPONSE by the
	 * modem, so the whole response comes at once (Quectel, vectors.md V10) */
	FAKE_AT_MODEM_FLAG_AUTO_GET_RESPONSE = 1 << 7,
	/* +CCHO is refused (operation not allowed), e.g. firmware that keeps
	 * logical channels for itself; +CGLA and +CCHC are still there */
	FAKE_AT_MODEM_FLAG_CCHO_REFUSED      = 1 << 8,
	/* AT+CMEE is not known (ERROR): errors stay plain ERROR (ModemManager
	 * makes +CMEE=1 optional for such devices, mm-broadband-modem.c) */
	FAKE_AT_MODEM_FLAG_NO_CMEE           = 1 << 9,
} FakeAtModemFlags;

typedef enum {
	/* answer ERROR without reaching the card (EC20F BPP loads, lpac#186) */
	FAKE_AT_FAULT_ERROR,
	FAKE_AT_FAULT_SILENT,  /* never answer that command */
	FAKE_AT_FAULT_HANG_UP, /* close the pty instead of answering (modem gone mid-command) */
	FAKE_AT_FAULT_GARBLED, /* answer an information line that is not hex, then OK */
	FAKE_AT_FAULT_NOT_ALLOWED, /* +CME ERROR: 3 "operation not allowed" (as +CMEE says) */
} FakeAtModemFault;

FakeAtModem     *fake_at_modem_new (EsimVeuicc *card, GError **error);
void             fake_at_modem_free (FakeAtModem *self);
/* The pty slave path (e.g. /dev/pts/7) to hand to the code under test. */
const gchar     *fake_at_modem_get_port (FakeAtModem *self);
EsimVeuicc      *fake_at_modem_get_card (FakeAtModem *self);

void             fake_at_modem_set_flags (FakeAtModem *self, FakeAtModemFlags flags);
FakeAtModemFlags fake_at_modem_get_flags (FakeAtModem *self);

/* After the card answered a successful EnableProfile or DisableProfile
 * (BF31/BF32 with result 0), it resets as after a REFRESH: every logical
 * channel and +CCHO session is gone (the next +CGLA on one answers
 * +CME ERROR: 21) and "+CPIN: READY" is sent unsolicited. */
void             fake_at_modem_set_reset_after_switch (FakeAtModem *self, gboolean reset);
guint            fake_at_modem_get_n_card_resets (FakeAtModem *self);
/* The same reset now, whatever the card was doing. */
void             fake_at_modem_reset_card (FakeAtModem *self);

/* +CCHO session ids: 0 (the default) makes a session id the card's channel
 * number, as on the modems lpac's at driver was written for; any other
 * value makes them @first_id, @first_id + 1… in the order the sessions are
 * opened, never reused (an MT that numbers sessions its own way: 257 and up,
 * or ids that grow past 19). */
void             fake_at_modem_set_first_session_id (FakeAtModem *self, guint first_id);
/* +CCHO sessions the MT holds now (ours, stale or foreign). */
guint            fake_at_modem_count_sessions (FakeAtModem *self);
/* The +CMEE mode now (27.007 §9.1: 0 ERROR only, 1 numeric, 2 verbose). */
guint            fake_at_modem_get_cmee (FakeAtModem *self);

/* Everything the modem writes (echo included) is held for @delay_ms before
 * it is sent, as by a slow modem; 0 (the default) writes at once. */
void             fake_at_modem_set_answer_delay (FakeAtModem *self, guint delay_ms);

/* The @nth next command starting with @command_prefix (e.g. "AT+CGLA=",
 * compared without case) meets @fault; nth 1 is the very next one.  One
 * fault per prefix: a new call replaces the pending one. */
void             fake_at_modem_inject_fault (FakeAtModem *self, const gchar *command_prefix,
                                             guint nth, FakeAtModemFault fault);
void             fake_at_modem_clear_faults (FakeAtModem *self);

/* Opens up to @n logical channels on the card and leaves them open, as a
 * crashed +CCHO user would (they are +CCHO sessions with ids of the MT's
 * numbering, so +CCHC closes them).  Returns how many were opened. */
guint            fake_at_modem_open_stale_channels (FakeAtModem *self, guint n);
/* Logical channels open on the card now, however they were opened. */
guint            fake_at_modem_count_open_channels (FakeAtModem *self);

/* Command lines received so far that start with @prefix (without case);
 * NULL counts them all. */
guint            fake_at_modem_count_commands (FakeAtModem *self, const gchar *prefix);
/* Writes an unsolicited line now, e.g. "+CIEV: 1,0". */
void             fake_at_modem_emit_urc (FakeAtModem *self, const gchar *line);

/* The modem disappears now: both ends of the pty are closed. */
void             fake_at_modem_hang_up (FakeAtModem *self);
gboolean         fake_at_modem_is_hung_up (FakeAtModem *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeAtModem, fake_at_modem_free)

G_END_DECLS
