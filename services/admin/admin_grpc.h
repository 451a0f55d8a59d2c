// gRPC adapter of rapport.v1.AdminService over admin::Admin. Each method:
// call the domain, convert the status.
#pragma once

#include "services/common/call.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "services/admin/admin.h"

namespace rapport::admin {

class AdminGrpc final : public v1::AdminService::CallbackService {
 public:
  // `admin` must outlive the adapter.
  explicit AdminGrpc(Admin* admin, const Gate* gate = &OpenGate()) : admin_(admin), gate_(gate) {}

  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest* request,
                                          v1::ServerInfo* response) override;
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const v1::CreateBackupRequest* request,
                                         v1::Backup* response) override;
  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const v1::ListAuditEntriesRequest* request,
                                             v1::ListAuditEntriesResponse* response) override;

 private:
  Admin* const admin_;
  const Gate* const gate_;
  static constexpr const char* kService = "rapport.v1.AdminService";
};

}  // namespace rapport::admin
