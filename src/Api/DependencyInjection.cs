using Mediator;
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
        return services;
    }

    public static WebApplication UseApi(this WebApplication app)
    {
        app.MapGet("/api/v1/healthz", () => TypedResults.Ok(new { status = "ok" }));
        return app;
    }
}
