#include "services/admin/admin_grpc.h"

#include "services/common/reply.h"

namespace rapport::admin {

grpc::ServerUnaryReactor* AdminGrpc::GetServerInfo(grpc::CallbackServerContext* context,
                                                   const v1::GetServerInfoRequest* request,
                                                   v1::ServerInfo* response) {
  RAPPORT_ADMIT(context, *request);
  auto* reactor = context->DefaultReactor();
  *response = admin_->GetServerInfo();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminGrpc::CreateBackup(grpc::CallbackServerContext* context,
                                                  const v1::CreateBackupRequest* request,
                                                  v1::Backup* response) {
  RAPPORT_ADMIT(context, *request);
  return ReplyNow(context->DefaultReactor(), admin_->CreateBackup(*request), response);
}

grpc::ServerUnaryReactor* AdminGrpc::ListAuditEntries(grpc::CallbackServerContext* context,
                                                      const v1::ListAuditEntriesRequest* request,
                                                      v1::ListAuditEntriesResponse* response) {
  RAPPORT_ADMIT(context, *request);
  return ReplyNow(context->DefaultReactor(), admin_->ListAuditEntries(*request), response);
}

}  // namespace rapport::admin
