#include "services/admin/admin_grpc.h"

#include "services/common/grpc_status.h"

namespace rapport::admin {

grpc::ServerUnaryReactor* AdminGrpc::GetServerInfo(grpc::CallbackServerContext* context,
                                                   const v1::GetServerInfoRequest* /*request*/,
                                                   v1::ServerInfo* response) {
  auto* reactor = context->DefaultReactor();
  *response = admin_->GetServerInfo();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminGrpc::CreateBackup(grpc::CallbackServerContext* context,
                                                  const v1::CreateBackupRequest* request,
                                                  v1::Backup* response) {
  auto* reactor = context->DefaultReactor();
  auto backup = admin_->CreateBackup(*request);
  if (backup.ok()) *response = *std::move(backup);
  reactor->Finish(ToGrpcStatus(backup.status()));
  return reactor;
}

}  // namespace rapport::admin
