using TinkerServer.Api;
using TinkerServer.Application;
using TinkerServer.Infrastructure;
using TinkerServer.Infrastructure.Persistence;

var builder = WebApplication.CreateBuilder(args);

builder.Services
    .AddApplicationServices()
    .AddInfrastructureServices(builder.Configuration)
    .AddApiServices();

var app = builder.Build();

await app.Services.InitializeDatabaseAsync();
app.UseApi();

await app.RunAsync();
