using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.Checkpoints.DeleteCheckpoint;
using TinkerServer.Application.Checkpoints.ListCheckpoints;
using TinkerServer.Application.Checkpoints.ListTrainingRunCheckpoints;

namespace TinkerServer.Api.Endpoints;

/// <summary>The checkpoint REST API of the SDK's RestClient and CLI (WIRE-CONTRACT §3.8).</summary>
public static class CheckpointEndpoints
{
    public static IEndpointRouteBuilder MapCheckpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Checkpoints");
        api.MapGet("/training_runs/{runId}/checkpoints", ListRunCheckpoints).WithName("ListTrainingRunCheckpoints");
        api.MapGet("/models/{runId}/checkpoints", ListRunCheckpoints).WithName("ListModelCheckpoints");
        api.MapGet("/checkpoints", ListCheckpoints).WithName("ListCheckpoints");
        api.MapDelete("/training_runs/{runId}/checkpoints/{**checkpointId}", DeleteCheckpoint).WithName("DeleteCheckpoint");
        return app;
    }

    public static async Task<Ok<CheckpointsListResponse>> ListRunCheckpoints(
        string runId, IMediator mediator, CancellationToken cancellationToken)
    {
        var checkpoints = await mediator.Send(new ListTrainingRunCheckpointsQuery(runId), cancellationToken);
        return TypedResults.Ok(new CheckpointsListResponse(checkpoints.Select(c => c.ToDto()).ToList(), null));
    }

    public static async Task<Ok<CheckpointsListResponse>> ListCheckpoints(
        int? limit, int? offset, IMediator mediator, CancellationToken cancellationToken)
    {
        var page = await mediator.Send(new ListCheckpointsQuery(limit, offset), cancellationToken);
        return TypedResults.Ok(new CheckpointsListResponse(
            page.Checkpoints.Select(c => c.ToDto()).ToList(),
            new CursorDto(page.Offset, page.Limit, page.TotalCount)));
    }

    public static async Task<NoContent> DeleteCheckpoint(
        string runId,
        string checkpointId,
        [FromQuery(Name = "checkpoint_type")] string? checkpointType,
        [FromHeader(Name = "X-Idempotency-Key")] string? idempotencyKey,
        IMediator mediator,
        CancellationToken cancellationToken)
    {
        await mediator.Send(new DeleteCheckpointCommand(runId, checkpointId, checkpointType, idempotencyKey), cancellationToken);
        return TypedResults.NoContent();
    }
}
