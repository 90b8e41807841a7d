using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TinkerServer.Application.Abstractions.Engine;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Common;
using TinkerServer.Application.Engine;
using TinkerServer.Application.Futures;
using TinkerServer.Infrastructure.Persistence.Repositories;

namespace TinkerServer.Infrastructure.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// The durable queue and the engine: futures and sampling-session repositories, the EF request queue, the
    /// engine signal, the completion hub (singleton) with its shared poll, the request executor, start-up
    /// recovery and the hosted <see cref="EngineWorker"/>. Needs AddPersistence (the AppDbContext and unit of
    /// work), an ITrainingBackend and an IArtifactStorage; <see cref="EngineOptions"/> are bound by the caller.
    /// </summary>
    public static IServiceCollection AddEngine(this IServiceCollection services)
    {
        services.AddOptions<EngineOptions>()
            .Validate(o => o.CompletionPollInterval > TimeSpan.Zero, "TinkerServer:CompletionPollInterval must be positive.")
            .Validate(o => o.WorkerPollInterval > TimeSpan.Zero, "TinkerServer:WorkerPollInterval must be positive.")
            .Validate(o => o.SeqGapHoldTimeout >= TimeSpan.Zero, "TinkerServer:SeqGapHoldTimeout must not be negative.")
            .Validate(o => o.MaxBatch >= 1, "TinkerServer:MaxBatch must be at least 1.")
            .Validate(o => o.WorkerConcurrency >= 1, "TinkerServer:WorkerConcurrency must be at least 1.");
        services.TryAddSingleton(TimeProvider.System);

        services.AddScoped<IFutureRepository, EfFutureRepository>();
        services.AddScoped<ISamplingSessionRepository, EfSamplingSessionRepository>();
        services.AddScoped<IRequestQueue, EfRequestQueue>();
        services.TryAddScoped<FutureEnqueuer>();
        services.AddScoped<RequestExecutor>();
        services.AddScoped<EngineRecovery>();

        services.AddSingleton<EngineSignal>();
        services.AddSingleton<IEngineSignal>(sp => sp.GetRequiredService<EngineSignal>());
        services.AddSingleton<FutureCompletionHub>();
        services.AddSingleton<IFutureCompletionHub>(sp => sp.GetRequiredService<FutureCompletionHub>());
        services.AddHostedService<FutureCompletionPoller>();
        services.AddSingleton<EngineWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineWorker>());
        return services;
    }
}
