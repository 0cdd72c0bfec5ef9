/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server side of a profile download, as the download flow sees it
 * (SGP.22 §3.1.3 steps that involve the SM-DP+).  Two implementations:
 *   - the SM-DP+ itself over ES9+ (direct download, src/net);
 *   - the eIM relaying to the SM-DP+ over ESipa (indirect download, SGP.32
 *     §3.2: InitiateAuthentication, AuthenticateClient, GetBoundProfilePackage,
 *     CancelSession on the eIM).
 * Everything signed by the eUICC or the SM-DP+ crosses this interface as the
 * raw DER TLVs it arrived as: an implementation re-wraps them for its binding
 * and never decodes and re-encodes them.
 *
 * Errors: ESIM_ES9P_ERROR_FAILED/EXPIRED when the server refused (with its
 * subject and reason codes), ESIM_ES9P_ERROR_MALFORMED for an answer that
 * does not parse, G_IO_ERROR / G_TLS_ERROR for the transport.  The eIM relay
 * answers with ESIM_ESIPA_ERROR_REFUSED/EXPIRED/MALFORMED instead (esim-esipa.h:
 * the eIM's own error codes, e.g. "AuthenticateClient: downloadOrderExpired (18)").
 */
#pragma once

#include <gio/gio.h>

#include "esim-es9p.h"

G_BEGIN_DECLS

#define ESIM_TYPE_RSP_SERVER (esim_rsp_server_get_type ())
G_DECLARE_INTERFACE (EsimRspServer, esim_rsp_server, ESIM, RSP_SERVER, GObject)

struct _EsimRspServerInterface {
	GTypeInterface parent_iface;

	/* For logs and progress: "SM-DP+ smdp.example.com", "eIM eim-1 (relay)". */
	const gchar *(*get_description) (EsimRspServer *self);

	/* @euicc_challenge: 16 bytes; @euicc_info1: BF20 TLV; @smdp_address:
	 * host[:port] from the activation code (or the eUICC's default). */
	void (*initiate_authentication_async) (EsimRspServer *self, GBytes *euicc_challenge,
	                                       GBytes *euicc_info1, const gchar *smdp_address,
	                                       GCancellable *cancellable, GAsyncReadyCallback callback,
	                                       gpointer user_data);
	EsimInitiateAuthenticationOk *(*initiate_authentication_finish) (EsimRspServer *self,
	                                                                  GAsyncResult *res,
	                                                                  GError **error);

	/* @authenticate_server_response: the eUICC's BF38 TLV, as it came. */
	void (*authenticate_client_async) (EsimRspServer *self, const gchar *transaction_id,
	                                   GBytes *authenticate_server_response,
	                                   GCancellable *cancellable, GAsyncReadyCallback callback,
	                                   gpointer user_data);
	EsimAuthenticateClientOk *(*authenticate_client_finish) (EsimRspServer *self,
	                                                          GAsyncResult *res, GError **error);

	/* @prepare_download_response: the eUICC's BF21 TLV, as it came. */
	void (*get_bound_profile_package_async) (EsimRspServer *self, const gchar *transaction_id,
	                                         GBytes *prepare_download_response,
	                                         GCancellable *cancellable,
	                                         GAsyncReadyCallback callback, gpointer user_data);
	EsimBoundProfilePackageOk *(*get_bound_profile_package_finish) (EsimRspServer *self,
	                                                                 GAsyncResult *res,
	                                                                 GError **error);

	/* @cancel_session_response: the eUICC's signed BF41 TLV, as it came. */
	void (*cancel_session_async) (EsimRspServer *self, const gchar *transaction_id,
	                              GBytes *cancel_session_response, GCancellable *cancellable,
	                              GAsyncReadyCallback callback, gpointer user_data);
	gboolean (*cancel_session_finish) (EsimRspServer *self, GAsyncResult *res, GError **error);
};

const gchar *esim_rsp_server_get_description (EsimRspServer *self);
void     esim_rsp_server_initiate_authentication_async (EsimRspServer *self, GBytes *euicc_challenge,
                                                        GBytes *euicc_info1,
                                                        const gchar *smdp_address,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);
EsimInitiateAuthenticationOk *esim_rsp_server_initiate_authentication_finish (EsimRspServer *self,
                                                                               GAsyncResult *res,
                                                                               GError **error);
void     esim_rsp_server_authenticate_client_async (EsimRspServer *self, const gchar *transaction_id,
                                                    GBytes *authenticate_server_response,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
EsimAuthenticateClientOk *esim_rsp_server_authenticate_client_finish (EsimRspServer *self,
                                                                       GAsyncResult *res,
                                                                       GError **error);
void     esim_rsp_server_get_bound_profile_package_async (EsimRspServer *self,
                                                          const gchar *transaction_id,
                                                          GBytes *prepare_download_response,
                                                          GCancellable *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer user_data);
EsimBoundProfilePackageOk *esim_rsp_server_get_bound_profile_package_finish (EsimRspServer *self,
                                                                              GAsyncResult *res,
                                                                              GError **error);
void     esim_rsp_server_cancel_session_async (EsimRspServer *self, const gchar *transaction_id,
                                               GBytes *cancel_session_response,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_rsp_server_cancel_session_finish (EsimRspServer *self, GAsyncResult *res,
                                                GError **error);

G_END_DECLS
