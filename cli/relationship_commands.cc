// rapportctl relationships (rel): list, show, health, search.
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "cli/format.h"
#include "cli/views.h"
#include "rapport/v1/relationships.grpc.pb.h"

namespace rapport::cli {
namespace {

using v1::ListRelationshipsRequest;
using v1::ListRelationshipsResponse;
using v1::Relationship;
using v1::RelationshipService;

constexpr char kCollection[] = "relationships";
// How many interactions `rel show` lists.
constexpr int kLatestInteractions = 5;

int PrintList(Context& c, const std::vector<Relationship>& items, bool more) {
  if (c.json()) {
    c.PrintJsonArray(items);
  } else {
    PrintRelationships(items, c.out());
    c.NoteMore(more, items.size());
  }
  return kExitOk;
}

}  // namespace

int RelationshipsList(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  ListRelationshipsRequest request;
  int kind = 0, tier = 0, lifecycle = 0;
  if (!c.EnumFlag("--kind", Relationship::Kind_descriptor(), &kind) ||
      !c.EnumFlag("--tier", Relationship::Tier_descriptor(), &tier) ||
      !c.EnumFlag("--status", Relationship::Status_descriptor(), &lifecycle)) {
    return kExitUsage;
  }
  request.set_kind(static_cast<Relationship::Kind>(kind));
  request.set_tier(static_cast<Relationship::Tier>(tier));
  request.set_status(static_cast<Relationship::Status>(lifecycle));
  request.set_manager(c.Get("--manager"));
  request.set_label(c.Get("--label"));
  if (c.Has("--parent")) request.set_parent(FullName(c.Get("--parent"), kCollection));
  if (c.Has("--order")) {
    const std::string order = c.Get("--order");
    if (order == "updated") {
      request.set_order_by(ListRelationshipsRequest::UPDATE_TIME_DESC);
    } else if (order != "name") {
      return c.Usage("--order must be name or updated, got '" + order + "'");
    }
  }
  auto stub = RelationshipService::NewStub(c.Channel());
  std::vector<Relationship> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<ListRelationshipsRequest, ListRelationshipsResponse, Relationship>(
          request, *limit,
          [&](grpc::ClientContext* ctx, const ListRelationshipsRequest& r,
              ListRelationshipsResponse* out) { return stub->ListRelationships(ctx, r, out); },
          [](const ListRelationshipsResponse& r) -> const auto& { return r.relationships(); },
          &items, &more);
  if (!status.ok()) return c.Fail(status);
  return PrintList(c, items, more);
}

int RelationshipsSearch(Context& c) {
  const auto limit = c.ListLimit();
  if (!limit) return kExitUsage;
  v1::SearchRelationshipsRequest request;
  request.set_query(absl::StrJoin(c.args(), " "));
  auto stub = RelationshipService::NewStub(c.Channel());
  std::vector<Relationship> items;
  bool more = false;
  const grpc::Status status =
      c.FetchPages<v1::SearchRelationshipsRequest, ListRelationshipsResponse, Relationship>(
          request, *limit,
          [&](grpc::ClientContext* ctx, const v1::SearchRelationshipsRequest& r,
              ListRelationshipsResponse* out) { return stub->SearchRelationships(ctx, r, out); },
          [](const ListRelationshipsResponse& r) -> const auto& { return r.relationships(); },
          &items, &more);
  if (!status.ok()) return c.Fail(status);
  return PrintList(c, items, more);
}

int RelationshipsShow(Context& c) {
  auto stub = RelationshipService::NewStub(c.Channel());
  v1::GetRelationshipRequest request;
  request.set_name(FullName(c.args()[0], kCollection));
  Relationship relationship;
  {
    grpc::ClientContext ctx;
    c.Prepare(&ctx);
    const grpc::Status status = stub->GetRelationship(&ctx, request, &relationship);
    if (!status.ok()) return c.Fail(status);
  }
  if (c.json()) {
    c.PrintJson(relationship);
    return kExitOk;
  }
  std::vector<v1::Stakeholder> stakeholders;
  bool more = false;
  v1::ListStakeholdersRequest stakeholders_request;
  stakeholders_request.set_parent(relationship.name());
  grpc::Status status =
      c.FetchPages<v1::ListStakeholdersRequest, v1::ListStakeholdersResponse, v1::Stakeholder>(
          stakeholders_request, Context::Limit{true, 0},
          [&](grpc::ClientContext* ctx, const v1::ListStakeholdersRequest& r,
              v1::ListStakeholdersResponse* out) { return stub->ListStakeholders(ctx, r, out); },
          [](const v1::ListStakeholdersResponse& r) -> const auto& { return r.stakeholders(); },
          &stakeholders, &more);
  if (!status.ok()) return c.Fail(status);
  std::vector<v1::Interaction> interactions;
  v1::ListInteractionsRequest interactions_request;
  interactions_request.set_parent(relationship.name());
  status = c.FetchPages<v1::ListInteractionsRequest, v1::ListInteractionsResponse, v1::Interaction>(
      interactions_request, Context::Limit{false, kLatestInteractions},
      [&](grpc::ClientContext* ctx, const v1::ListInteractionsRequest& r,
          v1::ListInteractionsResponse* out) { return stub->ListInteractions(ctx, r, out); },
      [](const v1::ListInteractionsResponse& r) -> const auto& { return r.interactions(); },
      &interactions, &more);
  if (!status.ok()) return c.Fail(status);
  PrintRelationship(relationship, stakeholders, interactions, c.out());
  return kExitOk;
}

int RelationshipsHealth(Context& c) {
  auto stub = RelationshipService::NewStub(c.Channel());
  v1::GetRelationshipHealthRequest request;
  request.set_relationship(FullName(c.args()[0], kCollection));
  v1::RelationshipHealth health;
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  const grpc::Status status = stub->GetRelationshipHealth(&ctx, request, &health);
  if (!status.ok()) return c.Fail(status);
  if (c.json()) {
    c.PrintJson(health);
  } else {
    PrintHealth(health, c.out());
  }
  return kExitOk;
}

}  // namespace rapport::cli
