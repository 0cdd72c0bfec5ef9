/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted EsimRspServer for the download flow's tests.  By default every
 * call goes, without HTTP, to an in-process test SM-DP+
 * (esim_test_smdp_handle(): the real ES9+ functions, signatures and bound
 * packages), through the ES9+ JSON codecs, so the flow talks to a real
 * server.  A test scripts the exceptions per function ("initiateAuthentication",
 * "authenticateClient", "getBoundProfilePackage", "cancelSession"):
 *   - fail with an error, before or after the SM-DP+ handled the request (a
 *     connection lost before or after the server acted on it);
 *   - hang until the call is cancelled (a server that does not answer);
 *   - change the answer (a server whose answers contradict the session).
 * It records what the flow sent.
 */
#pragma once

#include "esim-rsp-server.h"
#include "esim-test-smdp.h"

G_BEGIN_DECLS

#define FAKE_TYPE_RSP_SERVER (fake_rsp_server_get_type ())
G_DECLARE_FINAL_TYPE (FakeRspServer, fake_rsp_server, FAKE, RSP_SERVER, GObject)

/* Changes the parsed answer of @function in place (an EsimInitiateAuthenticationOk,
 * EsimAuthenticateClientOk or EsimBoundProfilePackageOk). */
typedef void (*FakeRspMutate) (const gchar *function, gpointer answer, gpointer user_data);

FakeRspServer *fake_rsp_server_new (EsimTestSmdp *smdp);

/* @function answers @error (taken); @after_server: only once the SM-DP+ handled it. */
void     fake_rsp_server_fail (FakeRspServer *self, const gchar *function, GError *error,
                               gboolean after_server);
/* @function never answers; the call ends when its cancellable is cancelled. */
void     fake_rsp_server_hang (FakeRspServer *self, const gchar *function);
/* initiateAuthentication names @address to the SM-DP+, whatever the flow asked for. */
void     fake_rsp_server_set_address (FakeRspServer *self, const gchar *address);
void     fake_rsp_server_set_mutate (FakeRspServer *self, FakeRspMutate mutate, gpointer user_data);

/* The functions called, in order ("initiateAuthentication,authenticateClient,…"). */
const gchar *fake_rsp_server_get_calls (FakeRspServer *self);
/* Whether a call is waiting in a hang. */
gboolean     fake_rsp_server_is_hanging (FakeRspServer *self);
/* The eUICC's last BF38 (authenticateClient) and BF41 (cancelSession) as sent. */
GBytes      *fake_rsp_server_get_last_authenticate_server_response (FakeRspServer *self);
GBytes      *fake_rsp_server_get_last_cancel_response (FakeRspServer *self);

G_END_DECLS
