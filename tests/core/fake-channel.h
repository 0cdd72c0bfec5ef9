/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted EsimChannel for tests: each transmitted APDU must equal the next
 * expected command (hex), and gets the canned response (hex, data + SW; any
 * length, so malformed answers can be scripted too).  An
 * unexpected APDU fails the test.  open/close are the raw-APDU sequences
 * (esim_channel_raw_open_async), so they appear in the script too.
 */
#pragma once

#include "esim-channel.h"

G_BEGIN_DECLS

#define FAKE_TYPE_CHANNEL (fake_channel_get_type ())
G_DECLARE_FINAL_TYPE (FakeChannel, fake_channel, FAKE, CHANNEL, GObject)

FakeChannel *fake_channel_new (void);
/* Expects @command_hex next and answers @response_hex (spaces allowed). */
void     fake_channel_expect (FakeChannel *self, const gchar *command_hex, const gchar *response_hex);
/* Expects @command_hex next and fails it with a transport error. */
void     fake_channel_expect_transport_error (FakeChannel *self, const gchar *command_hex);
/* Expects @command_hex next and fails it with ESIM_APDU_ERROR_SESSION_LOST, as a
 * modem backend does when its session (QMI client, MBIM session) is gone. */
void     fake_channel_expect_session_lost (FakeChannel *self, const gchar *command_hex);
/* Number of expected commands not yet sent. */
guint    fake_channel_get_pending (FakeChannel *self);
/* Number of APDUs transmitted so far. */
guint    fake_channel_get_transmit_count (FakeChannel *self);
/* Asserts that every expected command was sent. */
void     fake_channel_assert_done (FakeChannel *self);

G_END_DECLS
