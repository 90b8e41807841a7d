using System.Globalization;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.Checkpoints.DeleteCheckpoint;
using TinkerServer.Application.Checkpoints.DownloadCheckpoint;
using TinkerServer.Application.Checkpoints.GetCheckpointArchiveUrl;
using TinkerServer.Application.Checkpoints.ListCheckpoints;
using TinkerServer.Application.Checkpoints.ListTrainingRunCheckpoints;
using TinkerServer.Application.Checkpoints.PublishCheckpoint;
using TinkerServer.Application.Checkpoints.SetCheckpointTtl;
using TinkerServer.Infrastructure.Configuration;

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
        api.MapGet("/training_runs/{runId}/checkpoints/{kind}/{name}/archive", GetArchiveUrl).WithName("GetCheckpointArchiveUrl");
        api.MapGet("/training_runs/{runId}/checkpoints/{name}/archive", GetLegacyArchiveUrl).WithName("GetLegacyCheckpointArchiveUrl");
        api.MapMethods("/training_runs/{runId}/checkpoints/{kind}/{name}/download", [HttpMethods.Get, HttpMethods.Head], Download)
            .WithName("DownloadCheckpoint");
        api.MapPost("/training_runs/{runId}/checkpoints/{kind}/{name}/publish", Publish).WithName("PublishCheckpoint");
        api.MapDelete("/training_runs/{runId}/checkpoints/{kind}/{name}/publish", Unpublish).WithName("UnpublishCheckpoint");
        api.MapPut("/training_runs/{runId}/checkpoints/{kind}/{name}/ttl", SetTtl).WithName("SetCheckpointTtl");
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

    /// <summary>302 to a signed, expiring, absolute download URL (the hosted service's answer).</summary>
    public static async Task<RedirectHttpResult> GetArchiveUrl(
        string runId, string kind, string name, HttpContext context, IMediator mediator, IOptions<TinkerServerOptions> options,
        CancellationToken cancellationToken) =>
        await RedirectToDownload(new GetCheckpointArchiveUrlQuery(runId, $"{kind}/{name}"), context, mediator, options, cancellationToken);

    /// <summary>SkyRL's bare-name spelling, meaning a sampler checkpoint.</summary>
    public static async Task<RedirectHttpResult> GetLegacyArchiveUrl(
        string runId, string name, HttpContext context, IMediator mediator, IOptions<TinkerServerOptions> options,
        CancellationToken cancellationToken) =>
        await RedirectToDownload(new GetCheckpointArchiveUrlQuery(runId, name), context, mediator, options, cancellationToken);

    /// <summary>Streams the archive from storage with Content-Length, ranges and HEAD; never buffered whole.</summary>
    public static async Task<ArchiveStreamResult> Download(
        string runId,
        string kind,
        string name,
        [FromQuery(Name = "expires")] string? expires,
        [FromQuery(Name = "sig")] string? sig,
        IMediator mediator,
        CancellationToken cancellationToken)
    {
        var download = await mediator.Send(new DownloadCheckpointQuery(runId, kind, name, expires, sig), cancellationToken);
        return new ArchiveStreamResult(download.Content, download.ContentType, download.FileName);
    }

    private static async Task<RedirectHttpResult> RedirectToDownload(
        GetCheckpointArchiveUrlQuery query, HttpContext context, IMediator mediator, IOptions<TinkerServerOptions> options,
        CancellationToken cancellationToken)
    {
        var signed = await mediator.Send(query, cancellationToken);
        var baseUrl = options.Value.PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        context.Response.Headers.Expires = signed.ExpiresAt.ToString("R", CultureInfo.InvariantCulture);
        return TypedResults.Redirect(baseUrl + signed.RelativeUrl);
    }

    public static async Task<NoContent> Publish(string runId, string kind, string name, IMediator mediator, CancellationToken cancellationToken)
    {
        await mediator.Send(new PublishCheckpointCommand(runId, $"{kind}/{name}", Public: true), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Unpublish(string runId, string kind, string name, IMediator mediator, CancellationToken cancellationToken)
    {
        await mediator.Send(new PublishCheckpointCommand(runId, $"{kind}/{name}", Public: false), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> SetTtl(
        string runId, string kind, string name, SetTtlRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        await mediator.Send(new SetCheckpointTtlCommand(runId, $"{kind}/{name}", request.TtlSeconds), cancellationToken);
        return TypedResults.NoContent();
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
