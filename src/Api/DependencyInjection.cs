using Mediator;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using TinkerServer.Api.Endpoints;
using TinkerServer.Api.Errors;
using TinkerServer.Api.Security;
using TinkerServer.Api.Wire;
using TinkerServer.Api.Wire.Training;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Common;

namespace TinkerServer.Api;

public static class DependencyInjection
{
    public static IServiceCollection AddApiServices(this IServiceCollection services)
    {
        // Option values must be compile-time constants: the source generator reads them.
        services.AddMediator((MediatorOptions options) =>
        {
            options.Namespace = "TinkerServer.Api.Mediator";
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(TinkerServer.Application.DependencyInjection)];
            options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));

        // Binding failures (malformed JSON, wrong types) reach the exception handler instead of an empty 400,
        // which the SDK would mistake for a proxy reset and retry.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        services.AddSingleton<ICurrentCaller, DefaultCaller>();
        services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(WireLimits.SectionName).Get<WireLimits>() ?? new WireLimits());
        services.AddSingleton<ForwardBackwardRequestReader>();
        return services;
    }

    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(WriteEmptyErrorBody);

        app.MapService();
        app.MapSessions();
        app.MapModels();
        app.MapTraining();
        app.MapWeights();
        app.MapSampling();
        app.MapFutures();
        app.MapCheckpoints();
        app.MapTrainingRuns();
        return app;
    }

    /// <summary>Unmatched routes, wrong methods and the like still get a {"detail"} body.</summary>
    private static async Task WriteEmptyErrorBody(StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        if (ErrorHeaders.IsRetriedBySdk(response.StatusCode))
        {
            response.Headers[ErrorHeaders.ShouldRetry] = "false";
        }

        var detail = response.StatusCode switch
        {
            StatusCodes.Status404NotFound => "Not Found",
            StatusCodes.Status405MethodNotAllowed => "Method Not Allowed",
            StatusCodes.Status415UnsupportedMediaType => "Unsupported Media Type",
            _ => $"HTTP {response.StatusCode}",
        };
        await response.WriteAsJsonAsync(new ErrorBody(detail), ApiJson.Options);
    }
}
