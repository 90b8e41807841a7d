using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.TrainingRuns.GetTrainingRun;
using TinkerServer.Application.TrainingRuns.GetWeightsInfo;
using TinkerServer.Application.TrainingRuns.ListTrainingRuns;

namespace TinkerServer.Api.Endpoints;

public static class TrainingRunEndpoints
{
    public static IEndpointRouteBuilder MapTrainingRuns(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("TrainingRuns");
        api.MapGet("/training_runs", ListTrainingRuns).WithName("ListTrainingRuns");
        api.MapGet("/training_runs/{runId}", GetTrainingRun).WithName("GetTrainingRun");
        api.MapPost("/weights_info", GetWeightsInfo).WithName("GetWeightsInfo");
        return app;
    }

    public static async Task<Ok<TrainingRunsResponse>> ListTrainingRuns(
        int? limit, int? offset, IMediator mediator, CancellationToken cancellationToken)
    {
        var page = await mediator.Send(new ListTrainingRunsQuery(limit, offset), cancellationToken);
        return TypedResults.Ok(new TrainingRunsResponse(
            page.TrainingRuns.Select(r => r.ToDto()).ToList(),
            new CursorDto(page.Offset, page.Limit, page.TotalCount)));
    }

    public static async Task<Ok<TrainingRunDto>> GetTrainingRun(
        string runId, IMediator mediator, CancellationToken cancellationToken)
    {
        var run = await mediator.Send(new GetTrainingRunQuery(runId), cancellationToken);
        return TypedResults.Ok(run.ToDto());
    }

    public static async Task<Ok<WeightsInfoResponse>> GetWeightsInfo(
        WeightsInfoRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var info = await mediator.Send(new GetWeightsInfoQuery(request.TinkerPath ?? ""), cancellationToken);
        return TypedResults.Ok(info.ToDto());
    }
}
