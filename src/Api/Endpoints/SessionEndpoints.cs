using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.Sessions.CreateSession;
using TinkerServer.Application.Sessions.GetSession;
using TinkerServer.Application.Sessions.Heartbeat;
using TinkerServer.Application.Sessions.ListSessions;

namespace TinkerServer.Api.Endpoints;

public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Sessions");
        api.MapPost("/create_session", CreateSession).WithName("CreateSession");
        api.MapPost("/session_heartbeat", Heartbeat).WithName("SessionHeartbeat");
        api.MapGet("/sessions", ListSessions).WithName("ListSessions");
        api.MapGet("/sessions/{sessionId}", GetSession).WithName("GetSession");
        return app;
    }

    public static async Task<Ok<CreateSessionResponse>> CreateSession(
        CreateSessionRequest request,
        [FromHeader(Name = "X-Idempotency-Key")] string? idempotencyKey,
        IMediator mediator,
        CancellationToken cancellationToken)
    {
        var id = await mediator.Send(
            new CreateSessionCommand(request.Tags, request.UserMetadata, request.SdkVersion, idempotencyKey), cancellationToken);
        return TypedResults.Ok(new CreateSessionResponse(id));
    }

    public static async Task<Ok<SessionHeartbeatResponse>> Heartbeat(
        SessionHeartbeatRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        await mediator.Send(new HeartbeatCommand(request.SessionId ?? ""), cancellationToken);
        return TypedResults.Ok(new SessionHeartbeatResponse());
    }

    public static async Task<Ok<ListSessionsResponse>> ListSessions(
        int? limit, int? offset, IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ListSessionsResponse(await mediator.Send(new ListSessionsQuery(limit, offset), cancellationToken)));

    public static async Task<Ok<GetSessionResponse>> GetSession(string sessionId, IMediator mediator, CancellationToken cancellationToken)
    {
        var session = await mediator.Send(new GetSessionQuery(sessionId), cancellationToken);
        return TypedResults.Ok(new GetSessionResponse(session.TrainingRunIds, session.SamplerIds));
    }
}
