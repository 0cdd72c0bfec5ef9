/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esim-rsp-server.h"

G_DEFINE_INTERFACE (EsimRspServer, esim_rsp_server, G_TYPE_OBJECT)

static void
esim_rsp_server_default_init (EsimRspServerInterface *iface)
{
}

const gchar *
esim_rsp_server_get_description (EsimRspServer *self)
{
	g_return_val_if_fail (ESIM_IS_RSP_SERVER (self), NULL);
	return ESIM_RSP_SERVER_GET_IFACE (self)->get_description (self);
}

void
esim_rsp_server_initiate_authentication_async (EsimRspServer *self, GBytes *euicc_challenge,
                                               GBytes *euicc_info1, const gchar *smdp_address,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data)
{
	g_return_if_fail (ESIM_IS_RSP_SERVER (self));
	ESIM_RSP_SERVER_GET_IFACE (self)->initiate_authentication_async (self, euicc_challenge,
	                                                                 euicc_info1, smdp_address,
	                                                                 cancellable, callback,
	                                                                 user_data);
}

EsimInitiateAuthenticationOk *
esim_rsp_server_initiate_authentication_finish (EsimRspServer *self, GAsyncResult *res,
                                                GError **error)
{
	g_return_val_if_fail (ESIM_IS_RSP_SERVER (self), NULL);
	return ESIM_RSP_SERVER_GET_IFACE (self)->initiate_authentication_finish (self, res, error);
}

void
esim_rsp_server_authenticate_client_async (EsimRspServer *self, const gchar *transaction_id,
                                           GBytes *authenticate_server_response,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data)
{
	g_return_if_fail (ESIM_IS_RSP_SERVER (self));
	ESIM_RSP_SERVER_GET_IFACE (self)->authenticate_client_async (self, transaction_id,
	                                                             authenticate_server_response,
	                                                             cancellable, callback,
	                                                             user_data);
}

EsimAuthenticateClientOk *
esim_rsp_server_authenticate_client_finish (EsimRspServer *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (ESIM_IS_RSP_SERVER (self), NULL);
	return ESIM_RSP_SERVER_GET_IFACE (self)->authenticate_client_finish (self, res, error);
}

void
esim_rsp_server_get_bound_profile_package_async (EsimRspServer *self, const gchar *transaction_id,
                                                 GBytes *prepare_download_response,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback, gpointer user_data)
{
	g_return_if_fail (ESIM_IS_RSP_SERVER (self));
	ESIM_RSP_SERVER_GET_IFACE (self)->get_bound_profile_package_async (self, transaction_id,
	                                                                   prepare_download_response,
	                                                                   cancellable, callback,
	                                                                   user_data);
}

EsimBoundProfilePackageOk *
esim_rsp_server_get_bound_profile_package_finish (EsimRspServer *self, GAsyncResult *res,
                                                  GError **error)
{
	g_return_val_if_fail (ESIM_IS_RSP_SERVER (self), NULL);
	return ESIM_RSP_SERVER_GET_IFACE (self)->get_bound_profile_package_finish (self, res, error);
}

void
esim_rsp_server_cancel_session_async (EsimRspServer *self, const gchar *transaction_id,
                                      GBytes *cancel_session_response, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
	g_return_if_fail (ESIM_IS_RSP_SERVER (self));
	ESIM_RSP_SERVER_GET_IFACE (self)->cancel_session_async (self, transaction_id,
	                                                        cancel_session_response,
	                                                        cancellable, callback, user_data);
}

gboolean
esim_rsp_server_cancel_session_finish (EsimRspServer *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (ESIM_IS_RSP_SERVER (self), FALSE);
	return ESIM_RSP_SERVER_GET_IFACE (self)->cancel_session_finish (self, res, error);
}
