using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.Service.GetServerCapabilities;

namespace TinkerServer.Api.Endpoints;

/// <summary>Health, capabilities, client configuration and telemetry (WIRE-CONTRACT §3.1).</summary>
public static class ServiceEndpoints
{
    public static IEndpointRouteBuilder MapService(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Service");
        api.MapGet("/healthz", Health).WithName("Health");
        api.MapGet("/get_server_capabilities", GetCapabilities).WithName("GetServerCapabilities");
        api.MapPost("/client/config", GetClientConfig).WithName("ClientConfig");
        api.MapPost("/telemetry", AcceptTelemetry).WithName("Telemetry");
        return app;
    }

    public static Ok<HealthResponse> Health() => TypedResults.Ok(new HealthResponse("ok"));

    public static async Task<Ok<ServerCapabilitiesResponse>> GetCapabilities(IMediator mediator, CancellationToken cancellationToken)
    {
        var models = await mediator.Send(new GetServerCapabilitiesQuery(), cancellationToken);
        return TypedResults.Ok(new ServerCapabilitiesResponse(
            models.Select(m => new SupportedModelDto(m.Name, m.MaxContextLength)).ToList()));
    }

    /// <summary>
    /// The protobuf forward_backward body (and zstd) is served, so SDKs 0.21-0.24 are told to use it too;
    /// create-via-load is not offered, so load_weights keeps its legacy addressing.
    /// </summary>
    public static Ok<ClientConfigResponse> GetClientConfig() =>
        TypedResults.Ok(new ClientConfigResponse(
            PjwtAuthEnabled: false,
            ProtoWriteFwdbwd: true,
            FwdViaFwdbwd: true,
            ProtoCompressFwdbwd: true,
            CreateModelViaLoadWeights: false,
            ParallelFwdbwdChunks: true));

    /// <summary>Always acknowledged: an error makes the SDK resend every second, forever.</summary>
    public static Ok<TelemetryResponse> AcceptTelemetry() => TypedResults.Ok(new TelemetryResponse("accepted"));
}
